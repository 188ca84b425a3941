# name - greeting
# The first line above names this script's parameters, in the order it reads them.
args <- commandArgs(trailingOnly = TRUE)
cat(args[2], ", ", args[1], "!\n", sep = "")

# first_parameter - second_parameter
args <- commandArgs(trailingOnly = TRUE)
cat("Doing stuff with", args[1], "and", args[2], "\n")

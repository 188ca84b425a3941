# second_parameter
cat("Doing more stuff with", commandArgs(trailingOnly = TRUE)[1], "\n")

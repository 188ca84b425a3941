from job import job

# Write the code to be executed by job down below.
print("Wake up, Neo...")
job.log.info("Hello there.")

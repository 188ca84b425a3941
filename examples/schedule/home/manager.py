import jobsmith

manager = jobsmith.Manager()

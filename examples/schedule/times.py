"""Time expressions: runner's five fields, cron, intervals, and what DST does to them."""

from datetime import datetime

from jobsmith.schedule import Schedule

start = datetime(2024, 2, 27, 12, 0)  # a naive time is a wall time in the schedule's zone

weekdays = Schedule.fields(
    month_day="*", week_day="1-5", hour="8", minute="0", second="0", tz="UTC"
)
print(weekdays.describe())
for moment in weekdays.upcoming(start, 3):
    print(" ", moment.strftime("%a %Y-%m-%d %H:%M"))

print(Schedule.cron("0 6 29 2 *", tz="UTC").next_after(start))  # the next leap day
print(Schedule.every(minutes=90, tz="UTC").next_after(start))

# 02:30 does not exist on 2024-03-31 in Berlin (clocks jump 02:00 -> 03:00):
# it fires once, at 03:00. On 2024-10-27 02:30 happens twice: it fires once, the first time.
nightly = Schedule.fields(hour="2", minute="30", tz="Europe/Berlin")
print([t.isoformat() for t in nightly.upcoming(datetime(2024, 3, 30, 12), 2)])
print([t.isoformat() for t in nightly.upcoming(datetime(2024, 10, 26, 12), 2)])

import json, sys, datetime, platform
work, users = sys.argv[1], int(sys.argv[2])
def load(name):
    run = json.load(open(f"{work}/{name}.json"))
    sends = [send for user in run["users"] for send in user["sends"]]
    return sends, json.load(open(f"{work}/{name}-summary.json")), json.load(open(f"{work}/{name}-verify.json"))
def window(sends, start, end):
    outcomes = {}
    for send in sends:
        if start <= send["at"] < end:
            outcomes[send["outcome"]] = outcomes.get(send["outcome"], 0) + 1
    return outcomes
lines = ["# Faults: an instance killed, PostgreSQL stopped", "",
         f"One run of `scripts/scale-out.sh --faults` on {datetime.date.today().isoformat()} ({platform.machine()}, 2 cores): "
         f"release builds, two customer-service instances on one PostgreSQL database behind nginx, {users} users through "
         "nginx asking qa.csv questions answered at high confidence, one after another with no think time. A user whose "
         "connection drops reconnects with `?session_id=` and carries on; afterwards every session's stored turns are "
         "checked against what its user saw: each message that got its reply stored exactly once, in order. Windows "
         "are by the time a message was sent, on the users' clock, which starts when the Python driver is up, about "
         "half a second after the script's: a fault at 8 s lands near 7.5 s here, so the last messages sent before "
         "it already meet it.", ""]
runs = {}
for name, title, start, end in [("kill", "A. `kill -9` of one instance 8 s into 25 s", 8, 10),
                                ("outage", "B. PostgreSQL stopped (`pg_ctl stop -m fast`) for 10 s, 8 s into 35 s", 8, 18)]:
    sends, summary, verify = load(name)
    before, during, after = window(sends, 0, start), window(sends, start, end), window(sends, end + 2, 1e9)
    runs[name] = {"summary": summary, "verify": verify, "before": before, "during": during, "after": after}
    lines += [f"## {title}", "",
              "| window (s) | outcomes |", "|---|---|",
              f"| 0–{start}, before | {json.dumps(before, ensure_ascii=False)} |",
              f"| {start}–{end}, {'the outage' if name == 'outage' else 'the kill and 2 s after'} | {json.dumps(during, ensure_ascii=False)} |",
              f"| {end + 2}–end, after | {json.dumps(after, ensure_ascii=False)} |", "",
              f"All sends: {json.dumps(summary['outcomes'], ensure_ascii=False)}; reconnects {summary['reconnects']}; "
              f"longest reply {summary['max_reply_ms']} ms; longest error {summary['max_error_ms']} ms.",
              f"Stored against seen: {verify['answered']} answered messages, {verify['stored']} stored turns "
              f"({verify['stored_without_reply']} stored whose reply never arrived), "
              f"{len(verify['problems'])} sessions that do not match.", ""]
open("reports/scale-out-faults.md", "w").write("\n".join(lines))
json.dump(runs, open("reports/scale-out-faults.json", "w"), indent=1, sort_keys=True, ensure_ascii=False)
print("\n".join(lines))

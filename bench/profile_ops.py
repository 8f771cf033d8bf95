"""Sums a Chrome trace of libtorch's profiler (align4j: -Dalign4j.bench.profile=trace.json) by op name.

Usage: profile_ops.py trace.json [rows]. Self time of an op is its duration less that of the ops nested
in it on the same thread; prints the total and the top rows by self time, with call counts.
"""
import json, sys, collections
d = json.load(open(sys.argv[1]))
ev = d['traceEvents'] if isinstance(d, dict) else d
ev = [e for e in ev if e.get('ph') == 'X']
bytid = collections.defaultdict(list)
for e in ev: bytid[e.get('tid')].append(e)
selft = collections.Counter(); cnt = collections.Counter(); tot = collections.Counter()
for tid, es in bytid.items():
    es.sort(key=lambda e: (e['ts'], -e['dur']))
    stack = []
    for e in es:
        while stack and stack[-1]['ts'] + stack[-1]['dur'] <= e['ts']:
            stack.pop()
        if stack:
            selft[stack[-1]['name']] -= e['dur']
        selft[e['name']] += e['dur']; cnt[e['name']] += 1; tot[e['name']] += e['dur']
        stack.append(e)
all_self = sum(selft.values())
print("total self ms %.0f, events %d" % (all_self/1e3, len(ev)))
for n, v in selft.most_common(int(sys.argv[2]) if len(sys.argv) > 2 else 40):
    print("%10.1f ms %6d  %s" % (v/1e3, cnt[n], n))

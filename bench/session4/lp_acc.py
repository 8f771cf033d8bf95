import json,sys,collections
meta=json.load(open('runs/m/lp_meta.json'))
lp=[json.loads(l) for l in open(sys.argv[1])]
acc=collections.defaultdict(list)
for i,k in enumerate(meta):
    c=sum(x for x in lp[2*i]['token_logprobs'] if x is not None)
    r=sum(x for x in lp[2*i+1]['token_logprobs'] if x is not None)
    acc[k].append(c>r); acc['all'].append(c>r)
for k,v in acc.items(): print(k,len(v),'%.3f'%(sum(v)/len(v)))

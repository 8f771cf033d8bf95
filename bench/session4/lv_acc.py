import json,sys,collections
meta=json.load(open('runs/m/lv_meta.json'))
s=[json.loads(l)['score'] for l in open(sys.argv[1])]
top=0; byd=collections.defaultdict(list); per=collections.Counter()
for i,g in enumerate(meta):
    sc=s[4*i:4*i+4]
    best=max(range(4),key=lambda k:sc[k]); top+=best==g; per[best]+=1
    for k in range(4):
        if k!=g: byd[abs(k-g)].append(sc[g]>sc[k])
print('top1 %.3f'%(top/len(meta)), 'argmax levels', dict(per), ' '.join('dist%d %d %.3f'%(d,len(v),sum(v)/len(v)) for d,v in sorted(byd.items())))

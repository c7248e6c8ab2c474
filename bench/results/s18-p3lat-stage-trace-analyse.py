import json,sys
def pct(v,p):
    v=sorted(v); 
    return v[min(len(v)-1,int(p/100*len(v)))] if v else float('nan')
for f in sys.argv[1:]:
    recs=[];evs=[];loops=[]
    for l in open(f):
        d=json.loads(l)
        if 'uid' in d: recs.append(d)
        elif 'ev' in d: evs.append(d)
        else: loops.append(d['loop'])
    print(f, len(recs),'instances')
    stages=['rq','lastPdv','received','sealed','parsed','found','written','synced','placed','commitStart','committed','resolved','rspWritten']
    recs=[r for r in recs if all(s in r for s in stages)]
    recs.sort(key=lambda r:r['rq'])
    print(f"{'stage':28s} {'p50':>7s} {'p95':>7s} {'p99':>7s} {'mean':>7s}")
    for a,b in zip(stages,stages[1:]):
        v=[r[b]-r[a] for r in recs]
        print(f"{a+'->'+b:28s} {pct(v,50):7.3f} {pct(v,95):7.3f} {pct(v,99):7.3f} {sum(v)/len(v):7.3f}")
    v=[r['rspWritten']-r['rq'] for r in recs]
    print(f"{'rq->rsp total':28s} {pct(v,50):7.3f} {pct(v,95):7.3f} {pct(v,99):7.3f} {sum(v)/len(v):7.3f}")
    gaps=[b['rq']-a['rspWritten'] for a,b in zip(recs,recs[1:])]
    print(f"{'rsp->next rq (client)':28s} {pct(gaps,50):7.3f} {pct(gaps,95):7.3f} {pct(gaps,99):7.3f} {sum(gaps)/len(gaps):7.3f}")
    span=(recs[-1]['rspWritten']-recs[0]['rq'])/1000
    print('span s',round(span,2),'rate',round(len(recs)/span,1))
    for k in ['packsync','walsync','bridgepass']:
        v=[e['end']-e['start'] for e in evs if e['ev']==k]
        if v: print(f"{k:28s} n={len(v)} p50 {pct(v,50):.3f} p95 {pct(v,95):.3f} p99 {pct(v,99):.3f} mean {sum(v)/len(v):.3f} total {sum(v)/1000:.2f}s")
    print('prepare events',sum(1 for e in evs if e['ev']=='prepare'))
    if loops: print('loop delay last', loops[-1])
    # attribution of slow syncs
    import bisect
    def overl(kind):
        iv=sorted((e['start'],e['end']) for e in evs if e['ev']==kind)
        return iv
    for kind in ['bridgepass','walsync']:
        iv=overl(kind)
        slow=[r for r in recs if r['synced']-r['written']>5]
        fast=[r for r in recs if r['synced']-r['written']<=5]
        def hit(r):
            return any(s< r['synced'] and e> r['written'] for s,e in iv)
        if iv and slow:
            print(f"{kind}: overlaps {sum(map(hit,slow))}/{len(slow)} slow syncs, {sum(map(hit,fast))}/{len(fast)} fast")
    bp=[e for e in evs if e['ev']=='bridgepass']
    if bp: print('bridge passes',len(bp),'studies',sum(e['extra'] for e in bp),'pass ms p50/p95/max', round(pct([e['end']-e['start'] for e in bp],50),2), round(pct([e['end']-e['start'] for e in bp],95),2), round(max(e['end']-e['start'] for e in bp),2))

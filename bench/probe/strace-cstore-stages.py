# bench/probe/strace-cstore-stages.py: per-instance syscalls and stages of one C-STORE association from
# an strace -f -y -T -tt file (bench/cstore-cpu.ts --strace FILE, STRACE_EXPR=trace=read,write,writev,pwritev,pwrite64,fdatasync,fsync).
# Stages are between syscalls on the association's socket and the pack: read last -> pwritev (parse, look-up),
# pwritev, wait for the sync to start, the pack sync, sync end -> answer written (index commit), answer -> next request read.
#   python3 bench/probe/strace-cstore-stages.py FILE   (session 19, issue 21 P1)
import sys,re,statistics as st
from collections import Counter,defaultdict
pat=re.compile(r'^(\d+)\s+(\d\d):(\d\d):(\d\d\.\d+)\s+(\w+)\((\d+)<([^>]*)>(.*?)\)\s+=\s+(-?\d+).*<([\d.]+)>$')
def t(h,m,s): return int(h)*3600+int(m)*60+float(s)
ev=[]
pend={}
unf=re.compile(r'^(\d+)\s+(\S+)\s+(.*) <unfinished \.\.\.>$')
res=re.compile(r'^(\d+)\s+(\S+)\s+<\.\.\. \w+ resumed>(.*)$')
def lines():
  for l in open(sys.argv[1]):
    l=l.rstrip('\n')
    m=unf.match(l)
    if m: pend[m.group(1)]=(m.group(2),m.group(3)); continue
    m=res.match(l)
    if m and m.group(1) in pend:
      t0,head=pend.pop(m.group(1)); yield f'{m.group(1)} {t0} {head}{m.group(3)}'; continue
    yield l
for l in lines():
  m=pat.match(l.strip())
  if not m: continue
  tid,h,mi,s,call,fd,path,args,ret,dur=m.groups()
  ev.append(dict(tid=int(tid),t=t(h,mi,s),call=call,path=path,ret=int(ret),dur=float(dur),args=args))
def kind(e):
  p=e['path']
  if p.startswith('socket:'): return 'sock'
  if '.pack' in p: return 'pack'
  if p.endswith('-wal'): return 'wal:'+p.split('/')[-1]
  if 'eventfd' in p: return 'eventfd'
  return 'file:'+p.split('/')[-1]
cnt=Counter()
for e in ev: cnt[(e['call'],kind(e))]+=1
packw=[i for i,e in enumerate(ev) if e['call']=='pwritev' and kind(e)=='pack']
n=len(packw)
print('instances (pack pwritev):',n)
for k,v in sorted(cnt.items(),key=lambda x:-x[1]):
  if v/n>=0.02: print(f'  {k[0]:10s} {k[1]:40s} {v/n:6.2f}/inst  total {v}')
# sync durations
fds=[e for e in ev if e['call']=='fdatasync' and kind(e)=='pack']
d=[e['dur']*1000 for e in fds]
print('pack fdatasync ms: n',len(d),'p50 %.2f p90 %.2f max %.2f sum %.0f'%(st.median(d),sorted(d)[int(.9*len(d))],max(d),sum(d)))
zw=[e for e in ev if e['call']=='pwrite64' and kind(e)=='pack']
if zw: print('zero pwrite64 on pack:',len(zw),'sum ms %.1f'%(sum(e['dur'] for e in zw)*1000))
# sock fd of association: the one with most reads
sockreads=Counter(e['path'] for e in ev if e['call']=='read' and kind(e)=='sock')
assoc=sockreads.most_common(1)[0][0]
stages=defaultdict(list)
for j,i in enumerate(packw):
  pw=ev[i]
  # last socket read before pwritev
  k=i-1
  while k>=0 and not (ev[k]['path']==assoc and ev[k]['call']=='read'): k-=1
  lastread=ev[k]
  # first sync of pack starting after pwritev end
  pend=pw['t']+pw['dur']
  sy=next((e for e in ev[i:] if e['call']=='fdatasync' and kind(e)=='pack' and e['t']>=pend-1e-6),None)
  # response write on assoc socket after pwritev
  rw=next((e for e in ev[i:] if e['path']==assoc and e['call'] in('write','writev')),None)
  # next read on assoc after response
  nr=next((e for e in ev[i:] if e['path']==assoc and e['call']=='read' and rw and e['t']>rw['t']),None)
  # first read of this instance: first assoc read after previous response
  if j>0:
    prw=next((e for e in ev[packw[j-1]:] if e['path']==assoc and e['call'] in('write','writev')),None)
  else: prw=None
  if not(sy and rw): continue
  syend=sy['t']+sy['dur']
  stages['read last -> pwritev'].append(pw['t']-(lastread['t']+lastread['dur']))
  stages['pwritev'].append(pw['dur'])
  stages['pwritev end -> sync start'].append(sy['t']-pend)
  stages['sync (own)'].append(sy['dur'])
  stages['sync end -> response write'].append(rw['t']-syend)
  if nr: stages['response -> next read done'].append(nr['t']+nr['dur']-rw['t'])
  if prw: stages['per instance total (resp->resp)'].append(rw['t']-prw['t'])
for k,v in stages.items():
  v=[x*1000 for x in v]
  print(f'  {k:34s} mean {st.mean(v):6.2f} p50 {st.median(v):6.2f} p90 {sorted(v)[int(.9*len(v))]:6.2f} ms')

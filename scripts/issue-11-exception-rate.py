# Issue 11 experiment (h3-py 4.5.0, numpy): per resolution 5-11, how many incidents lie outside the
# res-r parent of their res-15 cell, and how many fail the inscribed-cap prefilter. Input: a CSV from
# `diemnong sample --incidents 1000000 --end 2024-12-31 --out /tmp/i11/s1m`. Run: python3 this-file

import csv, time, numpy as np
import h3.api.basic_int as h3
lat=[];lon=[]
with open('/tmp/i11/s1m/incidents.csv') as f:
    r=csv.reader(f); h=next(r); ila=h.index('lat'); ilo=h.index('lon')
    for row in r: lat.append(float(row[ila])); lon.append(float(row[ilo]))
lat=np.array(lat); lon=np.array(lon); n=len(lat)
t=time.perf_counter()
c15=[h3.latlng_to_cell(a,b,15) for a,b in zip(lat.tolist(),lon.tolist())]
print(f'n={n}; py latlng_to_cell res15 {time.perf_counter()-t:.2f}s')
order=np.argsort(np.array(c15,dtype=np.uint64),kind='stable')
c15s=np.array(c15,dtype=np.uint64)[order]; la=np.radians(lat[order]); lo=np.radians(lon[order])
U=np.stack([np.cos(la)*np.cos(lo),np.cos(la)*np.sin(lo),np.sin(la)],1)
def unit(ll):
    a,b=np.radians(ll[0]),np.radians(ll[1]); return np.array([np.cos(a)*np.cos(b),np.cos(a)*np.sin(b),np.sin(a)])
tot=0; totfb=0
for res in range(5,12):
    mask=np.uint64((1<<(3*(15-res)))-1); rm=np.uint64(0xF<<52)
    par=(c15s & ~rm) | np.uint64(res<<52) | mask
    true=np.array([h3.latlng_to_cell(a,b,res) for a,b in zip(lat[order].tolist(),lon[order].tolist())],dtype=np.uint64)
    exc=(true!=par); ne=int(exc.sum())
    # runs
    starts=np.flatnonzero(np.r_[True,par[1:]!=par[:-1]]); nruns=len(starts)
    runlen=np.diff(np.r_[starts,n])
    # inscribed cap test per run
    uniq,inv=np.unique(par,return_inverse=True)
    C=np.empty((len(uniq),3)); R=np.empty(len(uniq))
    for k,p in enumerate(uniq.tolist()):
        c=unit(h3.cell_to_latlng(p)); C[k]=c
        B=[unit(v) for v in h3.cell_to_boundary(p)]
        d=[]
        for i in range(len(B)):
            nn=np.cross(B[i],B[(i+1)%len(B)]); nn/=np.linalg.norm(nn); d.append(np.arcsin(abs(c@nn)))
        R[k]=min(d)
    ang=np.arccos(np.clip((U*C[inv]).sum(1),-1,1))
    inside=ang < R[inv]*(1-1e-7)
    assert not (inside & exc).any(), 'cap test wrong'
    fb=int((~inside).sum())
    # digit r+1 == 0 never exception?
    d1=((c15s>>np.uint64(3*(15-res-1))) & np.uint64(7))
    ex0=int((exc & (d1==0)).sum())
    tot+=ne; totfb+=fb
    print(f'res {res}: exceptions {ne} ({100*ne/n:.2f}%), occupied parents (runs) {nruns}, mean run {runlen.mean():.1f}, '
          f'outside inscribed cap {fb} ({100*fb/n:.1f}%), exceptions with digit r+1 = 0: {ex0}, '
          f'cells whose count changes {int(np.sum(np.unique(true,return_counts=True)[1].size))} vs {len(uniq)}')
print(f'total exceptions {tot} = {tot/n:.3f}/incident -> 16 B each: {16*tot/n:.2f} B/incident, 12 B each: {12*tot/n:.2f}')
print(f'to_cell fallbacks with cap filter: {totfb} = {totfb/n:.2f}/incident (vs 7 without)')

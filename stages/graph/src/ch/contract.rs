//! Node ordering and contraction. Priority is the edge difference (shortcuts
//! added minus edges removed) plus the number of already contracted neighbours
//! and the node's level, kept up to date lazily: a popped node whose fresh
//! priority is worse than the next one goes back into the queue; neighbours of
//! a contracted node are re-evaluated (in parallel) right away.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use super::witness::{Arc, Witness};
use super::{ChEdge, ChHeader, ContractionHierarchy};
use crate::expand::SearchGraph;
use crate::weight;

/// Settled-node limit of witness searches while estimating priorities.
const SIMULATE_LIMIT: usize = 40;
/// Settled-node limit of witness searches while contracting.
const CONTRACT_LIMIT: usize = 400;

type Shortcuts = Vec<(u32, u32, u64)>;

thread_local! {
    /// One witness search state per rayon worker, reused across nodes.
    static WITNESS: RefCell<(Witness, Shortcuts)> = RefCell::new((Witness::new(0), Vec::new()));
}

fn with_witness<R>(n: usize, f: impl FnOnce(&mut Witness, &mut Shortcuts) -> R) -> R {
    WITNESS.with(|cell| {
        let mut guard = cell.borrow_mut();
        let (ws, buf) = &mut *guard;
        if ws.len() != n {
            *ws = Witness::new(n);
        }
        f(ws, buf)
    })
}

struct Prep {
    out: Vec<Vec<Arc>>,
    inc: Vec<Vec<Arc>>,
}

fn add_arc(list: &mut Vec<Arc>, node: u32, w: u64) {
    if let Some(a) = list.iter_mut().find(|a| a.node == node) {
        a.w = a.w.min(w);
    } else {
        list.push(Arc { node, w });
    }
}

/// Shortcuts needed if `v` were contracted now: `(from, to, weight)`.
fn shortcuts(p: &Prep, v: u32, ws: &mut Witness, limit: usize, out: &mut Shortcuts) {
    out.clear();
    let outs = &p.out[v as usize];
    for a_in in &p.inc[v as usize] {
        let u = a_in.node;
        let max = outs
            .iter()
            .filter(|o| o.node != u)
            .filter_map(|o| weight::add(a_in.w, o.w))
            .max();
        let Some(max) = max else { continue };
        ws.run(&p.out, u, v, outs, max, limit);
        for o in outs {
            if o.node == u {
                continue;
            }
            let Some(via) = weight::add(a_in.w, o.w) else {
                continue;
            };
            if ws.dist(o.node) > via {
                out.push((u, o.node, via));
            }
        }
    }
}

fn priority(
    p: &Prep,
    v: u32,
    ws: &mut Witness,
    buf: &mut Shortcuts,
    deleted: u32,
    level: u32,
) -> i64 {
    shortcuts(p, v, ws, SIMULATE_LIMIT, buf);
    let removed = (p.inc[v as usize].len() + p.out[v as usize].len()) as i64;
    let added = buf.len() as i64;
    4 * (added - removed) + 2 * i64::from(deleted) + i64::from(level)
}

/// Contracts `t` into a hierarchy; `contracted` counts progress.
pub(crate) fn contract(
    t: &SearchGraph,
    header: ChHeader,
    contracted: &AtomicU64,
) -> ContractionHierarchy {
    let n = t.node_count;
    let mut p = Prep {
        out: vec![Vec::new(); n],
        inc: vec![Vec::new(); n],
    };
    for &(from, to, w) in &t.arcs {
        if from != to {
            add_arc(&mut p.out[from as usize], to, w);
            add_arc(&mut p.inc[to as usize], from, w);
        }
    }
    let mut deleted = vec![0u32; n];
    let mut level = vec![0u32; n];
    let mut prio: Vec<i64> = (0..n as u32)
        .into_par_iter()
        .map(|v| with_witness(n, |ws, buf| priority(&p, v, ws, buf, 0, 0)))
        .collect();
    let mut heap: BinaryHeap<Reverse<(i64, u32)>> = (0..n as u32)
        .map(|v| Reverse((prio[v as usize], v)))
        .collect();
    let mut done = vec![false; n];
    let mut rank = vec![0u32; n];
    let mut up_fwd: Vec<Vec<Arc>> = vec![Vec::new(); n];
    let mut up_bwd: Vec<Vec<Arc>> = vec![Vec::new(); n];
    let mut ws = Witness::new(n);
    let mut buf = Vec::new();
    let mut next_rank = 0u32;
    while let Some(Reverse((pr, v))) = heap.pop() {
        let vu = v as usize;
        if done[vu] || pr != prio[vu] {
            continue;
        }
        let fresh = priority(&p, v, &mut ws, &mut buf, deleted[vu], level[vu]);
        if let Some(Reverse((next, _))) = heap.peek()
            && fresh > *next
        {
            prio[vu] = fresh;
            heap.push(Reverse((fresh, v)));
            continue;
        }
        shortcuts(&p, v, &mut ws, CONTRACT_LIMIT, &mut buf);
        done[vu] = true;
        rank[vu] = next_rank;
        next_rank += 1;
        contracted.fetch_add(1, Ordering::Relaxed);
        let outs = std::mem::take(&mut p.out[vu]);
        let ins = std::mem::take(&mut p.inc[vu]);
        for a in &outs {
            p.inc[a.node as usize].retain(|b| b.node != v);
        }
        for a in &ins {
            p.out[a.node as usize].retain(|b| b.node != v);
        }
        for &(from, to, w) in &buf {
            add_arc(&mut p.out[from as usize], to, w);
            add_arc(&mut p.inc[to as usize], from, w);
        }
        let mut neighbours: Vec<u32> = outs.iter().chain(&ins).map(|a| a.node).collect();
        neighbours.sort_unstable();
        neighbours.dedup();
        for &x in &neighbours {
            deleted[x as usize] += 1;
            level[x as usize] = level[x as usize].max(level[vu] + 1);
        }
        let fresh: Vec<i64> = neighbours
            .iter()
            .map(|&x| {
                with_witness(n, |ws, buf| {
                    priority(&p, x, ws, buf, deleted[x as usize], level[x as usize])
                })
            })
            .collect();
        for (&x, pr) in neighbours.iter().zip(fresh) {
            prio[x as usize] = pr;
            heap.push(Reverse((pr, x)));
        }
        up_fwd[vu] = outs;
        up_bwd[vu] = ins;
    }
    assemble(t, header, &rank, &up_fwd, &up_bwd)
}

/// Renumbers nodes by rank and lays the up edges out as arrays.
fn assemble(
    t: &SearchGraph,
    header: ChHeader,
    rank: &[u32],
    up_fwd: &[Vec<Arc>],
    up_bwd: &[Vec<Arc>],
) -> ContractionHierarchy {
    let n = rank.len();
    let mut by_rank = vec![0u32; n];
    for (v, &r) in rank.iter().enumerate() {
        by_rank[r as usize] = v as u32;
    }
    let lay = |up: &[Vec<Arc>]| {
        let mut first = Vec::with_capacity(n + 1);
        let mut edges = Vec::new();
        first.push(0u32);
        for &v in &by_rank {
            let mut list: Vec<ChEdge> = up[v as usize]
                .iter()
                .map(|a| ChEdge {
                    target: rank[a.node as usize],
                    duration_ms: weight::ms(a.w),
                    distance_m: weight::cm(a.w) as f32 / 100.0,
                })
                .collect();
            list.sort_by_key(|e| e.target);
            edges.extend(list);
            first.push(edges.len() as u32);
        }
        (first, edges)
    };
    let (fwd_first, fwd) = lay(up_fwd);
    let (bwd_first, bwd) = lay(up_bwd);
    let source: Vec<u32> = t.source.iter().map(|&s| rank[s as usize]).collect();
    let g = source.len();
    let mut targets_first = Vec::with_capacity(g + 1);
    let mut targets = Vec::with_capacity(t.targets.len());
    targets_first.push(0u32);
    let mut c = 0;
    for v in 0..g as u32 {
        let from = targets.len();
        while c < t.targets.len() && t.targets[c].0 == v {
            targets.push(rank[t.targets[c].1 as usize]);
            c += 1;
        }
        targets[from..].sort_unstable();
        targets_first.push(targets.len() as u32);
    }
    ContractionHierarchy {
        header,
        fwd_first,
        fwd,
        bwd_first,
        bwd,
        source,
        targets_first,
        targets,
    }
}

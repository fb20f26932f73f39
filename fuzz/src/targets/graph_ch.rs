//! `graph-ch`: `graph.ch` files built by the graph stage from the seed crops,
//! with mutated header fields, counts, offsets, node ids and weights, most of
//! them with a recomputed checksum so that the range checks behind it are
//! reached. What loads must answer queries without indexing out of bounds.

use std::path::PathBuf;

use hexmatrix_contract::Context;
use hexmatrix_graph::{ChQuery, ContractionHierarchy, GraphOptions, Profile};

use crate::engine::Target;
use crate::havoc::havoc;
use crate::rng::Rng;
use crate::targets::Setup;

/// Seed graphs built at most.
const SEED_GRAPHS: usize = 4;

/// The graph.ch target.
#[derive(Debug)]
pub struct GraphCh {
    seeds: Vec<Vec<u8>>,
    dir: PathBuf,
}

impl GraphCh {
    /// Builds seed graphs from the PBF seeds of `setup`.
    ///
    /// # Panics
    /// When no seed graph can be built: the target has nothing to mutate.
    #[must_use]
    pub fn new(setup: &Setup) -> Self {
        let dir = setup.scratch("graph-ch");
        let car = Profile::by_name("car").expect("the car profile");
        let mut seeds = Vec::new();
        for (i, file) in setup.pbf().files.iter().enumerate() {
            if seeds.len() == SEED_GRAPHS {
                break;
            }
            let pbf = dir.join(format!("seed-{i}.osm.pbf"));
            let out = dir.join(format!("seed-{i}"));
            std::fs::write(&pbf, file).expect("seed written");
            let opts = GraphOptions {
                input: pbf,
                profile: car,
                output_dir: out.clone(),
            };
            if hexmatrix_graph::run(&opts, &Context::silent()).is_ok() {
                seeds.push(std::fs::read(out.join("graph.ch")).expect("seed graph.ch"));
            }
        }
        assert!(!seeds.is_empty(), "no seed graph could be built");
        Self { seeds, dir }
    }
}

/// Offset of the counts (after magic, version, tool version, profile, hash).
fn counts_offset(ch: &[u8]) -> Option<usize> {
    let mut pos = 12;
    for _ in 0..2 {
        let len = u16::from_le_bytes(ch.get(pos..pos + 2)?.try_into().ok()?);
        pos += 2 + usize::from(len);
    }
    Some(pos + 32)
}

fn put_u32(data: &mut [u8], at: usize, v: u32) {
    if let Some(slot) = data.get_mut(at..at + 4) {
        slot.copy_from_slice(&v.to_le_bytes());
    }
}

fn get_u32(data: &[u8], at: usize) -> u32 {
    data.get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u32::from_le_bytes)
}

impl Target for GraphCh {
    fn name(&self) -> &'static str {
        "graph-ch"
    }

    fn about(&self) -> &'static str {
        "graph.ch files with mutated header, counts, offsets, ids, weights -> ContractionHierarchy::load, queries"
    }

    fn generate(&mut self, rng: &mut Rng) -> Vec<u8> {
        let mut data = rng.pick(&self.seeds).clone();
        let counts = counts_offset(&data).unwrap_or(12);
        let body = counts + 20;
        for _ in 0..=rng.below(3) {
            let words = data.len().saturating_sub(body + 4) / 4;
            match rng.below(8) {
                0..=2 if words > 0 => {
                    // A word of the arrays: an offset, a node id, a weight.
                    let at = body + 4 * rng.below(words);
                    let old = get_u32(&data, at);
                    let v = match rng.below(3) {
                        0 => old.wrapping_add(rng.below(5) as u32).wrapping_sub(2),
                        1 => get_u32(&data, counts + 4 * rng.below(5)),
                        _ => rng.interesting() as u32,
                    };
                    put_u32(&mut data, at, v);
                }
                3 => {
                    let at = counts + 4 * rng.below(5);
                    let old = get_u32(&data, at);
                    let v = if rng.one_in(2) {
                        old.wrapping_add(rng.below(3) as u32).wrapping_sub(1)
                    } else {
                        rng.interesting() as u32
                    };
                    put_u32(&mut data, at, v);
                }
                4 => {
                    let at = *rng.pick(&[8, 12, counts.saturating_sub(34)]);
                    put_u32(&mut data, at, rng.interesting() as u32);
                }
                5 if words > 1 => {
                    let (a, b) = (body + 4 * rng.below(words), body + 4 * rng.below(words));
                    let (x, y) = (get_u32(&data, a), get_u32(&data, b));
                    put_u32(&mut data, a, y);
                    put_u32(&mut data, b, x);
                }
                6 => {
                    let cut = rng.below(data.len() + 1);
                    data.truncate(cut);
                }
                _ => havoc(rng, &mut data, &[]),
            }
        }
        if !rng.one_in(8) && data.len() >= 4 {
            let end = data.len() - 4;
            let crc = crc32fast::hash(&data[..end]);
            data[end..].copy_from_slice(&crc.to_le_bytes());
        }
        data
    }

    fn run(&mut self, input: &[u8]) -> Result<(), String> {
        let path = self.dir.join("graph.ch");
        std::fs::write(&path, input).map_err(|e| e.to_string())?;
        let ch = ContractionHierarchy::load(&path).map_err(|e| e.to_string())?;
        let mut edges = 0;
        for v in 0..ch.node_count() as u32 {
            edges += ch.forward_up(v).len() + ch.backward_up(v).len();
        }
        assert_eq!(edges, ch.edge_count());
        let graph_nodes = ch.graph_node_count().min(64) as u32;
        for g in 0..graph_nodes {
            let _ = (ch.source_of(g), ch.targets_of(g).len());
        }
        let mut query = ChQuery::new(&ch);
        let sample = graph_nodes.min(6);
        for a in 0..sample {
            for b in 0..sample {
                let _ = query.route(&ch, a, b);
            }
        }
        Ok(())
    }
}

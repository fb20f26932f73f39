//! `DenseNodes` encoding: ids, coordinates and metadata as packed deltas.

use crate::elements::{Meta, Node};
use crate::proto::{self, put_packed_delta, put_packed_uint};
use crate::strings::StringTable;

/// Appends one `DenseNodes` message (as `PrimitiveGroup.dense`, field 2) for `nodes`.
///
/// Coordinates are written with granularity 100 and zero offsets, so the
/// stored integers are exactly the 1e-7 degree values. `DenseInfo` is written
/// when any node has metadata (nodes without get zeros, which readers treat as
/// absent); `visible` only for history files. Tags go to `keys_vals` with a 0
/// after each node, or not at all when no node has tags.
pub fn encode_dense<'a>(
    group: &mut Vec<u8>,
    nodes: &'a [Node],
    table: &mut StringTable<'a>,
    historical: bool,
) {
    let mut msg = Vec::with_capacity(nodes.len() * 12);
    let mut scratch = Vec::with_capacity(nodes.len() * 4);
    put_packed_delta(&mut msg, 1, nodes.iter().map(|n| n.id), &mut scratch);
    if nodes.iter().any(|n| n.meta.is_some()) {
        let default = Meta::default();
        let metas: Vec<&Meta> = nodes
            .iter()
            .map(|n| n.meta.as_ref().unwrap_or(&default))
            .collect();
        let mut info = Vec::with_capacity(nodes.len() * 10);
        put_packed_uint(
            &mut info,
            1,
            metas.iter().map(|m| i64::from(m.version) as u64),
            &mut scratch,
        );
        put_packed_delta(
            &mut info,
            2,
            metas.iter().map(|m| m.timestamp),
            &mut scratch,
        );
        put_packed_delta(
            &mut info,
            3,
            metas.iter().map(|m| m.changeset),
            &mut scratch,
        );
        put_packed_delta(
            &mut info,
            4,
            metas.iter().map(|m| i64::from(m.uid)),
            &mut scratch,
        );
        let user_ids: Vec<u32> = nodes
            .iter()
            .map(|n| n.meta.as_ref().map_or(0, |m| table.id(&m.user)))
            .collect();
        put_packed_delta(
            &mut info,
            5,
            user_ids.iter().map(|&u| i64::from(u)),
            &mut scratch,
        );
        if historical {
            put_packed_uint(
                &mut info,
                6,
                metas.iter().map(|m| u64::from(m.visible)),
                &mut scratch,
            );
        }
        proto::put_bytes_field(&mut msg, 5, &info);
    }
    put_packed_delta(
        &mut msg,
        8,
        nodes.iter().map(|n| i64::from(n.lat)),
        &mut scratch,
    );
    put_packed_delta(
        &mut msg,
        9,
        nodes.iter().map(|n| i64::from(n.lon)),
        &mut scratch,
    );
    if nodes.iter().any(|n| !n.tags.is_empty()) {
        let mut kv = Vec::with_capacity(nodes.len() * 2);
        for n in nodes {
            for (k, v) in &n.tags {
                kv.push(u64::from(table.key_id(k)));
                kv.push(u64::from(table.id(v)));
            }
            kv.push(0);
        }
        put_packed_uint(&mut msg, 10, kv, &mut scratch);
    }
    proto::put_bytes_field(group, 2, &msg);
}

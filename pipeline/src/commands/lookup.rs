//! `hexmatrix lookup`: read the cache the way a gateway does: pointer → version
//! manifest → H3 cells of the points → one MGET of the ordered pairs.

use std::io::Write;

use anyhow::Context as _;
use hexmatrix_warm::lookup::{self, Answer, Current, HitRate};
use hexmatrix_warm::{KeyTemplate, Target};

use hexmatrix_contract::Context;

/// Arguments of `hexmatrix lookup`.
#[derive(Debug, clap::Args)]
pub struct LookupArgs {
    /// Points as LAT,LON; every ordered pair of distinct points is looked up.
    #[arg(value_name = "LAT,LON", allow_hyphen_values = true)]
    pub points: Vec<String>,
    /// Redis server URL (redis://user:pass@host:port/db).
    #[arg(
        long,
        env = "HEXMATRIX_REDIS",
        hide_env_values = true,
        default_value = "redis://127.0.0.1:6379/0"
    )]
    pub redis: String,
    /// Redis Cluster seed nodes, comma separated; replaces --redis.
    #[arg(long)]
    pub cluster: Option<String>,
    /// The key naming the current version.
    #[arg(long, default_value = hexmatrix_warm::DEFAULT_POINTER_KEY)]
    pub pointer_key: String,
    /// The key template the version was loaded with (its text before {version} locates
    /// the version manifest; both presets use route:).
    #[arg(long, default_value = "default")]
    pub key_template: String,
    /// Instead of points: look up N pairs of random points inside the version's bbox
    /// and print the hit rate.
    #[arg(long, value_name = "N")]
    pub sample: Option<u64>,
    /// Seed of --sample.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

fn parse_point(text: &str) -> anyhow::Result<(f64, f64)> {
    let (lat, lon) = text
        .split_once(',')
        .with_context(|| format!("point {text:?} is not LAT,LON"))?;
    let lat: f64 = lat
        .trim()
        .parse()
        .with_context(|| format!("latitude in {text:?}"))?;
    let lon: f64 = lon
        .trim()
        .parse()
        .with_context(|| format!("longitude in {text:?}"))?;
    anyhow::ensure!(
        (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon),
        "point {text:?} is outside latitude -90..90 / longitude -180..180 (give LAT,LON)"
    );
    Ok((lat, lon))
}

/// Runs `hexmatrix lookup`.
pub fn run(args: &LookupArgs, _ctx: &Context) -> anyhow::Result<()> {
    let points = args
        .points
        .iter()
        .map(|p| parse_point(p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    anyhow::ensure!(
        args.sample.is_some() || points.len() >= 2,
        "give at least two LAT,LON points, or --sample N"
    );
    let target = args.cluster.as_deref().map_or_else(
        || Target::Single(args.redis.clone()),
        Target::cluster_from_list,
    );
    let template = KeyTemplate::parse(&args.key_template)?;
    let (mut conn, current) = lookup::open(&target, &args.pointer_key, &template)
        .with_context(|| format!("lookup in {}", target.display()))?;
    let m = &current.manifest;
    let mut out = std::io::stdout().lock();
    let result = (|| -> anyhow::Result<()> {
        writeln!(
            out,
            "{} = {} (layout {}, resolution {}, {} keys, values {}, loaded by hexmatrix {})",
            args.pointer_key,
            m.version,
            m.layout,
            m.resolution,
            m.keys,
            m.value_format,
            m.tool_version
        )?;
        if let Some(n) = args.sample {
            let rate = current.sample(&mut conn, n, args.seed)?;
            print_rate(&mut out, &current, &rate)?;
        } else {
            print_pairs(&mut out, &mut conn, &current, &points)?;
        }
        Ok(())
    })();
    match result {
        Err(e) if is_broken_pipe(&e) => Ok(()),
        other => other,
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn print_pairs(
    out: &mut impl Write,
    conn: &mut hexmatrix_warm::Conn,
    current: &Current,
    points: &[(f64, f64)],
) -> anyhow::Result<()> {
    let answers = current.pairs(conn, points)?;
    for a in answers {
        let (from, to) = (points[a.from], points[a.to]);
        let what = match &a.answer {
            Answer::Route {
                distance_m,
                duration_s,
            } => {
                format!(
                    "{distance_m:.1} m, {duration_s:.1} s ({:.1} min)",
                    duration_s / 60.0
                )
            }
            Answer::NoRoute => "no route".to_owned(),
            Answer::BeyondMaxDuration => "beyond the load's --max-duration".to_owned(),
            Answer::Miss => {
                "miss (no key: cell without road, beyond max duration, or expired)".to_owned()
            }
            Answer::Unreadable(v) => format!("unreadable value {v:?}"),
        };
        writeln!(
            out,
            "{:.5},{:.5} -> {:.5},{:.5}: {what}  [{}]",
            from.0, from.1, to.0, to.1, a.key
        )?;
    }
    Ok(())
}

fn print_rate(out: &mut impl Write, current: &Current, r: &HitRate) -> anyhow::Result<()> {
    let looked_up = (r.pairs - r.same_cell).max(1) as f64;
    let [min_lon, min_lat, max_lon, max_lat] = current.manifest.bbox;
    writeln!(
        out,
        "{} random pairs of points in bbox {min_lon:.5},{min_lat:.5},{max_lon:.5},{max_lat:.5}: {} in the same cell (skipped), {} looked up",
        r.pairs,
        r.same_cell,
        r.pairs - r.same_cell
    )?;
    writeln!(
        out,
        "hits {} ({:.1}%): {} routes, {} no route; misses {} ({:.1}%), of which {} with a cell not in {}",
        r.routes + r.no_route,
        100.0 * (r.routes + r.no_route) as f64 / looked_up,
        r.routes,
        r.no_route,
        r.misses,
        100.0 * r.misses as f64 / looked_up,
        r.misses_cell_not_served,
        current.manifest.cells_key
    )?;
    Ok(())
}

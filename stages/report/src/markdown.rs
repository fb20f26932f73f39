//! `report.md`: the summary lines first (the ones the log shows), then tables of
//! cells, pairs, quantiles, suspicious pairs and stages, then the map.

use std::fmt::Write as _;

use hexmatrix_contract::{CellStatus, MatrixManifest, RunManifest};

use crate::access::THRESHOLDS_MIN;
use crate::histogram::Quantiles;
use crate::suspicious::{DETOUR_LIMIT, SuspiciousPair};
use crate::{ACCESS_FILE, ReportSummary};

/// The one-line summaries of a report, in the order the log prints them.
#[must_use]
pub fn summary_lines(s: &ReportSummary) -> Vec<String> {
    let c = &s.cells;
    let mut lines = vec![
        format!(
            "cells: {} ({} ok, {} no_road, {} unroutable)",
            c.total, c.ok, c.no_road, c.unroutable
        ),
        format!(
            "pairs: {}, unreachable {} ({})",
            s.pairs,
            s.unreachable_pairs,
            percent(s.unreachable_pairs, s.pairs)
        ),
        quantile_line("duration s", s.duration_s.as_ref(), 1),
        quantile_line("distance m", s.distance_m.as_ref(), 0),
        quantile_line("detour factor", s.detour.as_ref(), 3),
    ];
    let mut sus = format!(
        "suspicious pairs (detour factor > {DETOUR_LIMIT}): {}",
        s.suspicious_pairs
    );
    if let Some(p) = s.top_suspicious.first() {
        let _ = write!(
            sus,
            "; worst {} -> {}: {:.0} m straight, {:.0} m by road",
            p.origin_hex, p.dest_hex, p.straight_m, p.distance_m
        );
    }
    lines.push(sus);
    lines.extend(s.warnings.iter().map(|w| format!("warning: {w}")));
    lines
}

fn quantile_line(name: &str, q: Option<&Quantiles>, digits: usize) -> String {
    q.map_or_else(
        || format!("{name}: no routed pairs"),
        |q| {
            format!(
                "{name}: p50 {:.d$}, p90 {:.d$}, p99 {:.d$}, max {:.d$}",
                q.p50,
                q.p90,
                q.p99,
                q.max,
                d = digits
            )
        },
    )
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "0.00 %".into()
    } else {
        format!("{:.2} %", part as f64 * 100.0 / whole as f64)
    }
}

/// Renders `report.md`.
#[must_use]
#[expect(
    clippy::too_many_lines,
    reason = "the report's sections in reading order, one block each"
)]
pub fn render(
    s: &ReportSummary,
    matrix: &MatrixManifest,
    run: Option<&RunManifest>,
    matrix_dir: &str,
    map_file: &str,
) -> String {
    let mut md = String::new();
    let title = run.map_or_else(
        || matrix_dir.to_owned(),
        |r| format!("{} {}", r.dataset, r.version),
    );
    let _ = writeln!(md, "# Matrix report: {title}\n");
    let b = matrix.bbox;
    let _ = writeln!(
        md,
        "Matrix `{matrix_dir}`: H3 resolution {}, bbox {},{},{},{}, duration limit {}.\n",
        matrix.resolution,
        b[0],
        b[1],
        b[2],
        b[3],
        matrix
            .max_duration_s
            .map_or_else(|| "none".to_owned(), |d| format!("{d} s"))
    );
    let _ = writeln!(md, "## Summary\n");
    for line in &s.summary_lines {
        let _ = writeln!(md, "- {line}");
    }

    let c = &s.cells;
    let _ = writeln!(
        md,
        "\n## Cells\n\n| status | cells | share |\n|---|---:|---:|"
    );
    let by_status = CellStatus::ALL.map(|s| (s.as_str(), c.of(s)));
    for (name, n) in by_status.into_iter().chain([("total", c.total)]) {
        let _ = writeln!(md, "| {name} | {n} | {} |", percent(n, c.total));
    }

    let _ = writeln!(
        md,
        "\n## Pairs\n\n| pairs | count | share |\n|---|---:|---:|"
    );
    let routed = s.pairs - s.unreachable_pairs;
    let _ = writeln!(md, "| all (ok cells squared) | {} | 100.00 % |", s.pairs);
    let _ = writeln!(md, "| routed | {routed} | {} |", percent(routed, s.pairs));
    let _ = writeln!(
        md,
        "| unreachable (no route{}) | {} | {} |",
        if matrix.max_duration_s.is_some() {
            " or beyond the limit"
        } else {
            ""
        },
        s.unreachable_pairs,
        percent(s.unreachable_pairs, s.pairs)
    );
    if matrix.beyond_limit_pairs > 0 {
        let _ = writeln!(
            md,
            "| of which beyond the duration limit (matrix manifest) | {} | {} |",
            matrix.beyond_limit_pairs,
            percent(matrix.beyond_limit_pairs, s.pairs)
        );
    }

    let _ = writeln!(
        md,
        "\n## Quantiles\n\nOver routed pairs between different cells, nearest rank. Duration and \
         distance are exact (values as stored); the detour factor, the route distance over the \
         great-circle distance between the two cell centres, is counted in bins of 0.001 \
         (exact to half a bin).\n\n\
         | measure | pairs | p50 | p90 | p99 | max |\n|---|---:|---:|---:|---:|---:|"
    );
    for (name, q, d) in [
        ("duration (s)", s.duration_s.as_ref(), 1),
        ("distance (m)", s.distance_m.as_ref(), 0),
        ("detour factor", s.detour.as_ref(), 3),
    ] {
        match q {
            Some(q) => {
                let _ = writeln!(
                    md,
                    "| {name} | {} | {:.d$} | {:.d$} | {:.d$} | {:.d$} |",
                    q.count,
                    q.p50,
                    q.p90,
                    q.p99,
                    q.max,
                    d = d
                );
            }
            None => {
                let _ = writeln!(md, "| {name} | 0 | - | - | - | - |");
            }
        }
    }

    access_section(&mut md, s);
    suspicious_section(&mut md, s);
    if let Some(run) = run {
        stages_section(&mut md, run);
    }
    let _ = writeln!(
        md,
        "\n## Map\n\nLeft: cells by status. Middle: median travel time from each ok cell to the \
         other cells it reaches; a patch of slow or pink cells is worth a look. Right: the share \
         of the ok cells each ok cell reaches within {} minutes (`{ACCESS_FILE}` has every \
         threshold and the medians to and from each cell). {} The bar in each panel's lower \
         left corner gives the scale. The same map as a PNG: `{}`.\n\n\
         ![cells by status, by median travel time and by the share reached in {} min]({map_file})",
        s.access.map_threshold_min(),
        s.underlay.sentence(),
        crate::MAP_PNG_FILE,
        s.access.map_threshold_min(),
    );
    md
}

fn access_section(md: &mut String, s: &ReportSummary) {
    let a = &s.access;
    let _ = writeln!(
        md,
        "\n## Accessibility\n\nThe share of the {} ok cells that one ok cell reaches by car \
         within each time, across cells (nearest rank; every cell's figures are in \
         `{ACCESS_FILE}`).\n\n| within | p10 | median | p90 |\n|---:|---:|---:|---:|",
        a.cells
    );
    for (t, minutes) in THRESHOLDS_MIN.iter().enumerate() {
        let pc = |v: f64| format!("{:.1} %", v * 100.0);
        let _ = writeln!(
            md,
            "| {minutes} min | {} | {} | {} |",
            pc(a.share_p10[t]),
            pc(a.share_p50[t]),
            pc(a.share_p90[t])
        );
    }
    if let Some(m) = a.median_from_s {
        let _ = writeln!(
            md,
            "\nA typical cell's median travel time to the others: {:.1} min.",
            m / 60.0
        );
    }
    let within = a.map_threshold_min();
    match (&a.best, &a.worst) {
        // Shares are counts over one total: equal counts give the very same float.
        (Some((_, b)), Some((_, w))) if b.total_cmp(w).is_eq() => {
            let _ = writeln!(
                md,
                "Within {within} min every ok cell reaches {:.1} % of them.",
                b * 100.0
            );
        }
        (Some((best, b)), Some((worst, w))) => {
            let _ = writeln!(
                md,
                "Within {within} min (the time at which the median cell reaches nearest half of the ok cells: the map's third \
                 panel), `{best}` reaches the most ({:.1} %) and `{worst}` the fewest ({:.1} %).",
                b * 100.0,
                w * 100.0
            );
        }
        _ => {}
    }
}

fn suspicious_section(md: &mut String, s: &ReportSummary) {
    let _ = writeln!(
        md,
        "\n## Suspicious pairs\n\n{} routed pairs have a detour factor above {DETOUR_LIMIT}: \
         usually a missing bridge, a wrong oneway or a restriction that locks a street. \
         The {} with the largest excess (route minus straight line):\n",
        s.suspicious_pairs,
        s.top_suspicious.len()
    );
    if s.top_suspicious.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "| # | origin | destination | straight m | route m | duration s | detour | origin lat,lon | destination lat,lon |\n\
         |---:|---|---|---:|---:|---:|---:|---|---|"
    );
    for (i, p) in s.top_suspicious.iter().enumerate() {
        let SuspiciousPair {
            origin_hex,
            dest_hex,
            origin_at,
            dest_at,
            ..
        } = p;
        let _ = writeln!(
            md,
            "| {} | `{origin_hex}` | `{dest_hex}` | {:.0} | {:.0} | {:.1} | {:.2} | {:.5},{:.5} | {:.5},{:.5} |",
            i + 1,
            p.straight_m,
            p.distance_m,
            p.duration_s,
            p.detour,
            origin_at.0,
            origin_at.1,
            dest_at.0,
            dest_at.1
        );
    }
}

fn stages_section(md: &mut String, run: &RunManifest) {
    let _ = writeln!(
        md,
        "\n## Stages\n\nRun `{}` in {:.2} s.\n\n| stage | status | time s | peak RSS MiB | counts |\n|---|---|---:|---:|---|",
        run.version, run.elapsed_s
    );
    for st in &run.stages {
        let counts: Vec<String> = st.counts.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = writeln!(
            md,
            "| {} | {} | {:.2} | {} | {} |",
            st.stage,
            st.status,
            st.elapsed_s,
            st.peak_rss_bytes.map_or_else(
                || "-".to_owned(),
                |b| format!("{:.1}", b as f64 / (1024.0 * 1024.0))
            ),
            counts.join(" ")
        );
    }
}

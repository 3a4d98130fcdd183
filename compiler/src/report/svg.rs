//! An SVG picture of the memory plan: time (node index) left to right, arena offset top to bottom,
//! one box per planned value (its lifetime × its bytes). Written next to the JSON report. The
//! activation pools (one per storage type) are drawn one below the other, in key order.
//!
//! Bytes are deterministic: integer coordinates in a fixed order (by offset, then first use), and
//! every box carries its plan facts as `data-*` attributes so tests (and tools) can read them back.

use crate::ir::Graph;
use crate::plan::{self, Plan};

const WIDTH: usize = 960;
const HEIGHT: usize = 480;
const LEFT: usize = 70;
const TOP: usize = 40;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Fill colour of box `k` (a fixed palette, so the bytes do not depend on anything else).
fn colour(k: usize) -> &'static str {
    const P: [&str; 8] = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"];
    P[k % P.len()]
}

/// The picture for a graph and its plan; `title` goes in the heading.
pub fn plan_svg(g: &Graph, p: &Plan, title: &str) -> String {
    let bufs = plan::buffers(g, &p.writebacks);
    let steps = g.nodes.len() + 1;
    let arena_bytes = p.arena_bytes();
    let arena = arena_bytes.max(1);
    let x = |t: usize| LEFT + t * WIDTH / steps;
    let y = |o: usize| TOP + o * HEIGHT / arena;
    // each pool starts where the previous one ends
    let base = |key: plan::PoolKey| {
        p.pools.iter().filter(|q| q.key.region == plan::Region::Arena && q.key < key).map(|q| q.bytes).sum::<usize>()
    };
    let mut boxes: Vec<(usize, usize, plan::Buffer)> = bufs
        .iter()
        .enumerate()
        .filter_map(|(v, b)| {
            let b = (*b)?;
            (b.pool.region == plan::Region::Arena).then_some((v, base(b.pool) + p.byte_offsets[v]?, b))
        })
        .collect();
    boxes.sort_by_key(|&(v, off, b)| (off, b.first, v));
    let mut s = String::new();
    s += &format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n",
        w = LEFT + WIDTH + 20,
        h = TOP + HEIGHT + 50
    );
    s += &format!(
        "<text x=\"{LEFT}\" y=\"20\">{}: memory plan, {} bytes of arena (lower bound {} bytes), {} nodes</text>\n",
        esc(title),
        arena_bytes,
        p.arena_lower_bound(),
        g.nodes.len()
    );
    s += &format!(
        "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{}\" height=\"{HEIGHT}\" fill=\"#f4f4f4\" stroke=\"#888\"/>\n",
        x(steps) - LEFT
    );
    s += &format!(
        "<text x=\"{LEFT}\" y=\"{}\">node 0</text>\n<text x=\"{}\" y=\"{}\" text-anchor=\"end\">node {} (end)</text>\n",
        TOP + HEIGHT + 18,
        x(steps),
        TOP + HEIGHT + 18,
        steps - 1
    );
    s += &format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">0 B</text>\n<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{} B</text>\n",
        LEFT - 4,
        TOP + 10,
        LEFT - 4,
        TOP + HEIGHT,
        arena_bytes
    );
    s += &format!(
        "<text x=\"{LEFT}\" y=\"{}\">time (node index) →, arena offset ↓; one box per value</text>\n",
        TOP + HEIGHT + 38
    );
    for (k, (v, off, b)) in boxes.iter().enumerate() {
        let (x0, x1) = (x(b.first), x(b.last + 1));
        let (y0, y1) = (y(*off), y(off + b.bytes));
        s += &format!(
            "<rect x=\"{x0}\" y=\"{y0}\" width=\"{}\" height=\"{}\" fill=\"{}\" fill-opacity=\"0.8\" stroke=\"#222\" \
             stroke-width=\"0.5\" data-value=\"{v}\" data-offset=\"{}\" data-bytes=\"{}\" data-first=\"{}\" \
             data-last=\"{}\"><title>{} [{} B at {}, nodes {}..={}]</title></rect>\n",
            (x1 - x0).max(1),
            (y1 - y0).max(1),
            colour(k),
            off,
            b.bytes,
            b.first,
            b.last,
            esc(&g.value(crate::ir::ValueId(*v as u32)).name),
            b.bytes,
            off,
            b.first,
            b.last
        );
    }
    s += "</svg>\n";
    s
}

//! Accuracy tests against the host's `f32` functions (and a test-only `f64` reference for
//! functions `std` lacks in `f32`).

use super::*;
use crate::testutil::{ulp_diff, Rng};
use std::vec::Vec;

/// Special and boundary inputs every function is tried on.
fn edge_cases() -> Vec<f32> {
    let mut v = std::vec![
        0.0,
        -0.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        -f32::NAN,
        f32::MAX,
        f32::MIN,
        f32::MIN_POSITIVE,
        -f32::MIN_POSITIVE,
        f32::from_bits(1),
        f32::from_bits(0x8000_0001),
        f32::from_bits(0x007f_ffff),
        1e-40,
        -1e-40,
        1e-30,
        1e-10,
        -1e-10,
        1e-5,
        0.1,
        0.25,
        0.5,
        0.49999997,
        -0.49999997,
        1.0,
        -1.0,
        1.5,
        -1.5,
        2.0,
        2.5,
        -2.5,
        3.0,
        3.5,
        10.0,
        20.0,
        88.0,
        88.72,
        89.0,
        -87.0,
        -104.0,
        -150.0,
        1e10,
        -1e10,
        8388607.5,
        8388608.0,
        16777216.0,
        1e30,
        core::f32::consts::PI,
        -core::f32::consts::PI,
        core::f32::consts::FRAC_PI_2,
        core::f32::consts::FRAC_PI_4,
        2.0 * core::f32::consts::PI,
        1.9999999,
        0.7853982,
        0.78539807,
    ];
    for k in 1..200 {
        v.push(k as f32 * core::f32::consts::FRAC_PI_2);
        v.push(k as f32 * 0.5);
        v.push(-(k as f32) * 0.5);
    }
    v
}

/// Edge cases, a stride through all bit patterns and uniform samples in `[lo, hi)`.
fn inputs(lo: f32, hi: f32, seed: u64) -> Vec<f32> {
    let mut v = edge_cases();
    let mut rng = Rng::new(seed);
    let step = 1u32 << 15;
    let mut b = 0u32;
    loop {
        v.push(f32::from_bits(b.wrapping_add(rng.next_u32() % step)));
        b = match b.checked_add(step) {
            Some(n) => n,
            None => break,
        };
    }
    for _ in 0..100_000 {
        v.push(rng.uniform(lo, hi));
    }
    v
}

/// Max ulp distance of `f` from `reference` over `xs`, asserting it is at most `budget`.
#[track_caller]
fn check(name: &str, xs: &[f32], f: fn(f32) -> f32, reference: &dyn Fn(f32) -> f32, budget: u64) -> u64 {
    let mut worst = (0u64, 0.0f32);
    for &x in xs {
        let got = f(x);
        let want = reference(x);
        let d = ulp_diff(got, want);
        if d > worst.0 {
            worst = (d, x);
        }
        assert!(d <= budget, "{name}({x:e} = {:#x}): got {got:e}, want {want:e}, {d} ulp", x.to_bits());
    }
    std::println!("{name}: max {} ulp (at {:e})", worst.0, worst.1);
    worst.0
}

#[test]
fn exp_family() {
    let xs = inputs(-100.0, 100.0, 1);
    check("expf", &xs, expf, &|x| x.exp(), 1);
    check("expm1f", &xs, expm1f, &|x| x.exp_m1(), 1);
    let small = inputs(-1.0, 1.0, 2);
    check("expm1f small", &small, expm1f, &|x| x.exp_m1(), 1);
    let nonpositive: Vec<f32> = inputs(-110.0, 0.0, 14).into_iter().filter(|x| x.is_nan() || *x <= 0.0).collect();
    check("exp_nonpositive", &nonpositive, exp_nonpositive, &|x| x.exp(), 1);
}

#[test]
fn log_family() {
    let xs = inputs(0.0, 1000.0, 3);
    check("logf", &xs, logf, &|x| x.ln(), 1);
    let ys = inputs(-1.0, 10.0, 4);
    check("log1pf", &ys, log1pf, &|x| x.ln_1p(), 1);
}

#[test]
fn tanh() {
    let xs = inputs(-12.0, 12.0, 5);
    check("tanhf", &xs, tanhf, &|x| x.tanh(), 3);
    let small = inputs(-0.6, 0.6, 15);
    check("tanhf small", &small, tanhf, &|x| x.tanh(), 3);
}

#[test]
fn sqrt_is_correctly_rounded() {
    let xs = inputs(0.0, 1e6, 6);
    check("sqrtf", &xs, sqrtf, &|x| x.sqrt(), 0);
    assert_eq!(sqrtf(-0.0).to_bits(), (-0.0f32).to_bits());
    assert!(sqrtf(-1.0).is_nan());
    assert!(sqrtf(f32::NEG_INFINITY).is_nan());
}

#[test]
fn trig() {
    let xs = inputs(-10.0, 10.0, 7);
    check("sinf", &xs, sinf, &|x| x.sin(), 2);
    check("cosf", &xs, cosf, &|x| x.cos(), 2);
    let mut rng = Rng::new(8);
    let big: Vec<f32> = (0..50_000).map(|_| rng.uniform(-1e5, 1e5)).collect();
    check("sinf big", &big, sinf, &|x| x.sin(), 2);
    check("cosf big", &big, cosf, &|x| x.cos(), 2);
}

#[test]
fn rounding_is_exact() {
    let xs = inputs(-20.0, 20.0, 9);
    check("floorf", &xs, floorf, &|x| x.floor(), 0);
    check("ceilf", &xs, ceilf, &|x| x.ceil(), 0);
    check("truncf", &xs, truncf, &|x| x.trunc(), 0);
    check("roundf", &xs, roundf, &|x| x.round(), 0);
    check("rintf", &xs, rintf, &|x| x.round_ties_even(), 0);
    check("fabsf", &xs, fabsf, &|x| x.abs(), 0);
    for &x in &xs {
        for f in [floorf, ceilf, truncf, roundf, rintf] {
            let y = f(x);
            if !y.is_nan() {
                assert_eq!(y.is_sign_negative(), x.is_sign_negative() || (y == -1.0), "sign of {x}");
            }
        }
    }
    assert_eq!(roundf(2.5), 3.0);
    assert_eq!(roundf(-2.5), -3.0);
    assert_eq!(rintf(2.5), 2.0);
    assert_eq!(rintf(3.5), 4.0);
    assert_eq!(rintf(-2.5), -2.0);
    assert_eq!(roundf(0.49999997), 0.0);
}

#[test]
fn fmod_is_exact() {
    let mut rng = Rng::new(10);
    let specials = edge_cases();
    let mut pairs: Vec<(f32, f32)> = Vec::new();
    for &x in specials.iter().step_by(3) {
        for &y in specials.iter().step_by(5) {
            pairs.push((x, y));
        }
    }
    for _ in 0..200_000 {
        pairs.push((f32::from_bits(rng.next_u32()), f32::from_bits(rng.next_u32())));
        pairs.push((rng.uniform(-100.0, 100.0), rng.uniform(-10.0, 10.0)));
    }
    for (x, y) in pairs {
        let got = fmodf(x, y);
        let want = x % y;
        assert!(
            ulp_diff(got, want) == 0 && (got.is_nan() || got.to_bits() == want.to_bits()),
            "fmodf({x:e}, {y:e}) = {got:e}, want {want:e}"
        );
    }
}

#[test]
fn pow() {
    let mut rng = Rng::new(11);
    let mut worst = 0;
    let specials = [
        0.0f32,
        -0.0,
        1.0,
        -1.0,
        0.5,
        2.0,
        -2.0,
        3.0,
        -3.0,
        0.3,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        1e-40,
        1e30,
        -1e30,
        16777216.0,
        -16777217.0,
        1.0000001,
        0.99999994,
        1e10,
    ];
    let mut pairs: Vec<(f32, f32)> = Vec::new();
    for &x in &specials {
        for &y in &specials {
            pairs.push((x, y));
        }
    }
    for _ in 0..200_000 {
        let x = f32::from_bits(rng.next_u32() & 0x7fff_ffff);
        let y = rng.uniform(-20.0, 20.0);
        pairs.push((x, y));
        pairs.push((rng.uniform(0.0, 10.0), rng.uniform(-40.0, 40.0)));
        let n = (rng.below(41) as f32) - 20.0;
        pairs.push((rng.uniform(-10.0, 10.0), n));
        pairs.push((f32::from_bits(rng.next_u32()), f32::from_bits(rng.next_u32())));
    }
    for (x, y) in pairs {
        let got = powf(x, y);
        let want = x.powf(y);
        let d = ulp_diff(got, want);
        worst = worst.max(d);
        assert!(d <= 1, "powf({x:e}, {y:e}) = {got:e}, want {want:e} ({d} ulp)");
    }
    std::println!("powf: max {worst} ulp");
}

// ---- test-only double precision references for functions std lacks in f32 ----

fn erf64(x: f64) -> f64 {
    if x < 0.0 {
        return -erf64(-x);
    }
    if x >= 6.0 {
        return 1.0; // 1 - erf(6) = 2e-17, far below half an f32 ulp of 1
    }
    if x < 3.0 {
        // erf(x) = 2/sqrt(pi) e^{-x^2} Σ 2^n x^{2n+1} / (1·3·…·(2n+1)), all terms positive
        let mut term = x;
        let mut s = x;
        let mut n = 0.0;
        while term > s * 1e-18 {
            n += 1.0;
            term *= 2.0 * x * x / (2.0 * n + 1.0);
            s += term;
        }
        2.0 / core::f64::consts::PI.sqrt() * (-x * x).exp() * s
    } else {
        1.0 - erfc64(x)
    }
}

fn erfc64(x: f64) -> f64 {
    if x < 3.0 {
        return 1.0 - erf64(x);
    }
    if x > 10.5 {
        return 0.0; // below the smallest f32 subnormal
    }
    // continued fraction erfc(x) = e^{-x^2}/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
    let mut t = x;
    for k in (1..300).rev() {
        t = x + (k as f64 / 2.0) / t;
    }
    (-x * x).exp() / (core::f64::consts::PI.sqrt() * t)
}

#[test]
fn erf_family() {
    let xs = inputs(-6.0, 6.0, 12);
    check("erff", &xs, erff, &|x| erf64(x as f64) as f32, 2);
    check("erfcf", &xs, erfcf, &|x| erfc64(x as f64) as f32, 4);
    check(
        "gelu_exact",
        &xs,
        gelu_exact,
        &|x| {
            let x = x as f64;
            if x.is_infinite() {
                return if x > 0.0 { f32::INFINITY } else { -0.0 };
            }
            (0.5 * x * erfc64(-x / core::f64::consts::SQRT_2)) as f32
        },
        4,
    );
    // each of gelu_exact's three ranges sampled densely, with its own bound (the doc's table)
    let gelu_ref = |x: f32| {
        let x = x as f64;
        (0.5 * x * erfc64(-x / core::f64::consts::SQRT_2)) as f32
    };
    for (lo, hi, seed, budget) in [(-1.0, 1.0, 15, 3), (1.0, 8.0, 16, 2), (-6.0, -1.0, 17, 4), (-20.0, -6.0, 18, 5)] {
        let mut rng = Rng::new(seed);
        let xs: Vec<f32> = (0..200_000).map(|_| rng.uniform(lo, hi)).chain([lo, hi]).collect();
        check("gelu_exact range", &xs, gelu_exact, &gelu_ref, budget);
    }
    assert_eq!(gelu_exact(f32::INFINITY), f32::INFINITY);
    assert_eq!(gelu_exact(f32::NEG_INFINITY).to_bits(), (-0.0f32).to_bits());
    assert!(gelu_exact(f32::NAN).is_nan());
    assert_eq!(erff(f32::INFINITY), 1.0);
    assert_eq!(erff(f32::NEG_INFINITY), -1.0);
    assert!(erff(f32::NAN).is_nan());
}

#[test]
fn activations() {
    let xs = inputs(-30.0, 30.0, 13);
    check("sigmoidf", &xs, sigmoidf, &|x| (1.0 / (1.0 + (-(x as f64)).exp())) as f32, 3);
    check(
        "softplusf",
        &xs,
        softplusf,
        &|x| {
            let x = x as f64;
            (x.max(0.0) + (-x.abs()).exp().ln_1p()) as f32
        },
        2,
    );
    assert_eq!(sigmoidf(f32::INFINITY), 1.0);
    assert_eq!(sigmoidf(f32::NEG_INFINITY), 0.0);
    assert_eq!(softplusf(f32::INFINITY), f32::INFINITY);
    assert_eq!(softplusf(f32::NEG_INFINITY), 0.0);
    assert_eq!(softplusf(100.0), 100.0);
}

#[test]
fn scalbn() {
    assert_eq!(scalbnf(1.0, 10), 1024.0);
    assert_eq!(scalbnf(1.0, -149), f32::from_bits(1));
    assert_eq!(scalbnf(1.0, 128), f32::INFINITY);
    assert_eq!(scalbnf(3.0, -1), 1.5);
    assert_eq!(scalbnf(f32::MAX, -300), 0.0);
}

/// Sweep of every `f32` bit pattern (or every `ECGC_ULP_STRIDE`-th) for the one-argument
/// functions; prints the max ulp error. `cargo test -p ecgc-kernels --release -- --ignored
/// exhaustive --nocapture`.
#[test]
#[ignore]
fn exhaustive() {
    let stride: u64 = std::env::var("ECGC_ULP_STRIDE").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    type Case = (&'static str, fn(f32) -> f32, fn(f32) -> f32);
    let cases: [Case; 16] = [
        ("sqrtf", sqrtf, |x| x.sqrt()),
        ("expf", expf, |x| x.exp()),
        // e^x for x <= 0 only: the reference is the function itself elsewhere (0 ulp)
        ("exp_nonpositive", exp_nonpositive, |x| if x > 0.0 { exp_nonpositive(x) } else { x.exp() }),
        ("expm1f", expm1f, |x| x.exp_m1()),
        ("logf", logf, |x| x.ln()),
        ("log1pf", log1pf, |x| x.ln_1p()),
        ("tanhf", tanhf, |x| x.tanh()),
        ("sinf", sinf, |x| x.sin()),
        ("cosf", cosf, |x| x.cos()),
        ("floorf", floorf, |x| x.floor()),
        ("ceilf", ceilf, |x| x.ceil()),
        ("roundf", roundf, |x| x.round()),
        ("rintf", rintf, |x| x.round_ties_even()),
        ("erff", erff, |x| erf64(x as f64) as f32),
        ("sigmoidf", sigmoidf, |x| (1.0 / (1.0 + (-(x as f64)).exp())) as f32),
        ("softplusf", softplusf, |x| {
            let x = x as f64;
            (x.max(0.0) + (-x.abs()).exp().ln_1p()) as f32
        }),
    ];
    let filter = std::env::var("ECGC_ULP_ONLY").ok();
    for (name, f, r) in cases {
        if filter.as_deref().is_some_and(|f| !f.split(',').any(|n| n == name)) {
            continue;
        }
        let mut worst = (0u64, 0u32);
        let mut b: u64 = 0;
        while b <= u32::MAX as u64 {
            let x = f32::from_bits(b as u32);
            let d = ulp_diff(f(x), r(x));
            if d > worst.0 {
                worst = (d, b as u32);
            }
            b += stride;
        }
        std::println!("{name}: max {} ulp at {:e} ({:#x})", worst.0, f32::from_bits(worst.1), worst.1);
    }
}

#[test]
fn fmax_fmin_match_std() {
    let v = [0.0f32, -0.0, 1.0, -1.0, f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 3.5, f32::MIN_POSITIVE];
    for &a in &v {
        for &b in &v {
            let (m, n) = (fmaxf(a, b), fminf(a, b));
            let (sm, sn) = (a.max(b), a.min(b));
            assert!(m == sm || (m.is_nan() && sm.is_nan()), "max({a}, {b})");
            assert!(n == sn || (n.is_nan() && sn.is_nan()), "min({a}, {b})");
        }
    }
}

//! How calibration turns what it saw of a value into the real range its int8 grid covers
//! (`--calibration-method`, [`crate::Compiler::calibration_method`]).
//!
//! - `minmax` (the default, TFLite's): the smallest and largest element seen. Nothing is clipped,
//!   but one far outlier stretches the grid for every other element.
//! - `percentile[:P]`: the central P% of the elements seen (default P = 99.99): clipped at the
//!   (100 − P)/2 and (100 + P)/2 percentiles, as onnxruntime's asymmetric percentile calibration
//!   does.
//! - `mse`: the range containing 0 that minimises the expected squared error of int8
//!   quantization over the elements seen (rounding noise inside, clipping error outside).
//!
//! Percentile and MSE need a second pass over the calibration samples (a histogram per value,
//! [`super::histogram`]).

use std::fmt;
use std::str::FromStr;

/// The default percentile of `percentile` without `:P`.
pub const DEFAULT_PERCENTILE: f64 = 99.99;

/// How each activation's range is chosen from the calibration samples (module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum CalibrationMethod {
    /// Smallest to largest element seen.
    #[default]
    MinMax,
    /// The central P% of the elements seen, P in (0, 100].
    Percentile(f64),
    /// The range minimising the expected squared quantization error.
    Mse,
}

impl CalibrationMethod {
    /// Whether the method needs the second (histogram) pass.
    pub fn needs_histogram(self) -> bool {
        self != CalibrationMethod::MinMax
    }
}

impl FromStr for CalibrationMethod {
    type Err = String;

    /// `minmax`, `percentile`, `percentile:P` (0 < P ≤ 100) or `mse`; the error says what is
    /// accepted.
    fn from_str(s: &str) -> Result<Self, String> {
        let expected =
            "expected minmax, percentile[:P] (0 < P ≤ 100, default 99.99: the central P% of the values) or mse";
        match s {
            "minmax" => return Ok(CalibrationMethod::MinMax),
            "mse" => return Ok(CalibrationMethod::Mse),
            "percentile" => return Ok(CalibrationMethod::Percentile(DEFAULT_PERCENTILE)),
            _ => {}
        }
        let Some(p) = s.strip_prefix("percentile:") else {
            return Err(format!("unknown calibration method '{s}'; {expected}"));
        };
        match p.trim().parse::<f64>() {
            Ok(p) if p > 0.0 && p <= 100.0 => Ok(CalibrationMethod::Percentile(p)),
            _ => Err(format!("percentile '{p}' is not a number in (0, 100]; {expected}")),
        }
    }
}

impl fmt::Display for CalibrationMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CalibrationMethod::MinMax => write!(f, "minmax"),
            CalibrationMethod::Percentile(p) => write!(f, "percentile:{p}"),
            CalibrationMethod::Mse => write!(f, "mse"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form_and_round_trips() {
        assert_eq!("minmax".parse(), Ok(CalibrationMethod::MinMax));
        assert_eq!("mse".parse(), Ok(CalibrationMethod::Mse));
        assert_eq!("percentile".parse(), Ok(CalibrationMethod::Percentile(99.99)));
        assert_eq!("percentile:99.9".parse(), Ok(CalibrationMethod::Percentile(99.9)));
        assert_eq!("percentile:100".parse(), Ok(CalibrationMethod::Percentile(100.0)));
        for m in [CalibrationMethod::MinMax, CalibrationMethod::Mse, CalibrationMethod::Percentile(99.5)] {
            assert_eq!(m.to_string().parse(), Ok(m));
        }
        assert!(!CalibrationMethod::MinMax.needs_histogram());
        assert!(CalibrationMethod::Mse.needs_histogram());
    }

    #[test]
    fn bad_values_say_what_is_accepted() {
        for bad in
            ["", "max", "percentile:", "percentile:0", "percentile:100.5", "percentile:-3", "percentile:nan", "MSE"]
        {
            let e = bad.parse::<CalibrationMethod>().expect_err(bad);
            assert!(e.contains("expected minmax, percentile[:P]"), "{bad}: {e}");
        }
    }
}

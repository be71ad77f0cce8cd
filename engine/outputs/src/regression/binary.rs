//! Logit and probit by Newton–Raphson, as statsmodels' `Logit(...).fit()` and
//! `Probit(...).fit()` run it (`method="newton"`, `maxiter=35`, `tol=1e-8`, from zero).

use super::linalg::{Matrix, cholesky, cholesky_inverse, cholesky_solve};
use super::{Design, Estimates, RegressionError, RegressionFit};

/// statsmodels' `maxiter` for Newton's method.
pub(super) const MAX_ITERATIONS: u32 = 35;
/// statsmodels' `tol`: converged when no parameter moves by more than this.
pub(super) const TOLERANCE: f64 = 1e-8;
/// A fitted probability this close to the outcome counts as a perfect prediction.
const PERFECT: f64 = 1e-10;

/// The link of a binary model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Link {
    /// Logistic: P(y = 1) = 1 / (1 + e^-η).
    Logit,
    /// Normal: P(y = 1) = Φ(η).
    Probit,
}

impl Link {
    fn name(self) -> &'static str {
        match self {
            Link::Logit => "logit",
            Link::Probit => "probit",
        }
    }

    /// P(y = 1) at `eta`.
    fn cdf(self, eta: f64) -> f64 {
        match self {
            Link::Logit => logistic(eta),
            Link::Probit => normal_cdf(eta),
        }
    }

    /// log P(outcome q) at `eta` for q = ±1 (1 for y = 1): log F(q η), computed without
    /// taking the log of 1 − something.
    fn log_cdf(self, q_eta: f64) -> f64 {
        match self {
            // log σ(t) = −log(1 + e^−t)
            Link::Logit => -softplus(-q_eta),
            Link::Probit => log_normal_cdf(q_eta),
        }
    }

    /// Per observation: the score weight `w` (score = Σ w x) and the Hessian weight `h`
    /// (Hessian = −Σ h x x'), statsmodels' formulas.
    fn weights(self, y: f64, eta: f64) -> (f64, f64) {
        match self {
            Link::Logit => {
                let p = logistic(eta);
                (y - p, p * (1.0 - p))
            }
            Link::Probit => {
                // q = 2y − 1, L = q φ(qη) / Φ(qη); score weight L, Hessian weight L (L + η).
                let q = 2.0 * y - 1.0;
                let l = q * mills(q * eta);
                (l, l * (l + eta))
            }
        }
    }
}

fn logistic(t: f64) -> f64 {
    if t >= 0.0 { 1.0 / (1.0 + (-t).exp()) } else { t.exp() / (1.0 + t.exp()) }
}

/// log(1 + e^t), without overflow.
fn softplus(t: f64) -> f64 {
    if t > 0.0 { t + (-t).exp().ln_1p() } else { t.exp().ln_1p() }
}

fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

fn log_normal_cdf(x: f64) -> f64 {
    let p = normal_cdf(x);
    if p > 0.0 {
        p.ln()
    } else {
        // Below about −37.5 Φ underflows: Φ(x) = φ(x) / −x · s(x), the asymptotic series.
        -0.5 * x * x - (-x).ln() - 0.5 * (2.0 * std::f64::consts::PI).ln() + tail_series(x).ln()
    }
}

/// 1 − 1/x² + 3/x⁴ − 15/x⁶ + 105/x⁸: Φ(x) −x / φ(x) as x → −∞ (below −37.5 the next term
/// is under 1e-13).
fn tail_series(x: f64) -> f64 {
    let u = 1.0 / (x * x);
    1.0 - u * (1.0 - u * (3.0 - u * (15.0 - u * 105.0)))
}

/// φ(x) / Φ(x), from the asymptotic series where Φ underflows.
fn mills(x: f64) -> f64 {
    let p = normal_cdf(x);
    if p > 0.0 { normal_pdf(x) / p } else { -x / tail_series(x) }
}

/// Fits the model by Newton–Raphson.
pub(super) fn fit(design: &Design, link: Link) -> Result<(Estimates, RegressionFit), RegressionError> {
    let (n, k) = (design.x.rows, design.x.cols);
    if n < k {
        return Err(RegressionError::TooFewObservations { nobs: n as u64, parameters: k as u64 });
    }
    if let Some((y, record)) = design.y.iter().zip(&design.records).find(|(y, _)| **y != 0.0 && **y != 1.0) {
        return Err(RegressionError::NotBinary {
            column: design.endog.clone(),
            method: link.name().to_owned(),
            value: *y,
            record: *record,
        });
    }
    let mut params = vec![0.0; k];
    let mut iterations = 0_u32;
    let mut converged = false;
    while iterations < MAX_ITERATIONS {
        let eta = design.x.mul_vec(&params);
        if iterations > 0 && perfectly_predicted(design, &eta, link) {
            return Err(RegressionError::PerfectSeparation { method: link.name().to_owned(), iterations });
        }
        let (score, information) = score_and_information(&design.x, &design.y, &eta, link);
        let l = cholesky(&information, k).map_err(|column| singular_information(design, column, iterations, link))?;
        let step = cholesky_solve(&l, &score, k);
        if step.iter().any(|s| !s.is_finite()) {
            return Err(not_converged(link, iterations, "a step was not finite".to_owned()));
        }
        for (p, s) in params.iter_mut().zip(&step) {
            *p += s;
        }
        iterations += 1;
        if step.iter().all(|s| s.abs() <= TOLERANCE) {
            converged = true;
            break;
        }
    }
    let eta = design.x.mul_vec(&params);
    if perfectly_predicted(design, &eta, link) {
        return Err(RegressionError::PerfectSeparation { method: link.name().to_owned(), iterations });
    }
    if !converged {
        let extreme = design.y.iter().zip(&eta).filter(|(y, e)| (**y - link.cdf(**e)).abs() < PERFECT).count();
        let why = if extreme > 0 {
            format!(
                "{extreme} of {n} outcomes are fitted with probability 0 or 1: the outcome may be quasi-perfectly separated"
            )
        } else {
            format!("a parameter still moved by more than {TOLERANCE}")
        };
        return Err(not_converged(link, iterations, why));
    }
    // The covariance: the inverse of the information (minus the Hessian) at the estimates.
    let (_, information) = score_and_information(&design.x, &design.y, &eta, link);
    let l = cholesky(&information, k).map_err(|column| singular_information(design, column, iterations, link))?;
    let cov = cholesky_inverse(&l, k);

    let llf: f64 = design.y.iter().zip(&eta).map(|(y, e)| link.log_cdf((2.0 * y - 1.0) * e)).sum();
    let nf = n as f64;
    let ybar = design.y.iter().sum::<f64>() / nf;
    // The constant-only model fits P(y = 1) = ȳ, whatever the link.
    let ll_null = nf * (ybar * ybar.ln() + (1.0 - ybar) * (1.0 - ybar).ln());
    let df_model = k.saturating_sub(1) as f64;
    let finite = |x: f64| x.is_finite().then_some(x);
    let llr = -2.0 * (ll_null - llf);
    let llr_pvalue = (df_model > 0.0)
        .then(|| {
            use statrs::distribution::{ChiSquared, ContinuousCDF};
            ChiSquared::new(df_model).ok().map(|d| d.sf(llr))
        })
        .flatten()
        .and_then(finite);
    let parameters = k as f64;
    let fit = RegressionFit {
        dep_variable: String::new(),
        nobs: 0,
        dropped: 0,
        df_model: 0,
        df_resid: 0,
        has_constant: design.has_constant,
        r_squared: None,
        adj_r_squared: None,
        f_statistic: None,
        f_pvalue: None,
        log_likelihood: finite(llf),
        ll_null: finite(ll_null),
        pseudo_r_squared: finite(1.0 - llf / ll_null),
        llr_pvalue,
        aic: finite(-2.0 * llf + 2.0 * parameters),
        bic: finite(-2.0 * llf + nf.ln() * parameters),
        iterations: Some(iterations),
    };
    Ok((Estimates { params, cov }, fit))
}

/// The score `Σ w x` and the information `Σ h x x'` (minus the Hessian), `k x k` row-major.
fn score_and_information(x: &Matrix, y: &[f64], eta: &[f64], link: Link) -> (Vec<f64>, Vec<f64>) {
    let k = x.cols;
    let mut score = vec![0.0; k];
    let mut information = vec![0.0; k * k];
    for ((r, yi), e) in (0..x.rows).zip(y).zip(eta) {
        let (w, h) = link.weights(*yi, *e);
        let row = x.row(r);
        for (i, xi) in row.iter().enumerate() {
            if let Some(s) = score.get_mut(i) {
                *s += w * xi;
            }
            for (j, xj) in row.iter().enumerate().take(i + 1) {
                if let Some(slot) = information.get_mut(i * k + j) {
                    *slot += h * xi * xj;
                }
            }
        }
    }
    for i in 0..k {
        for j in 0..i {
            let v = information.get(i * k + j).copied().unwrap_or(f64::NAN);
            if let Some(slot) = information.get_mut(j * k + i) {
                *slot = v;
            }
        }
    }
    (score, information)
}

/// Whether every outcome is fitted with probability within [`PERFECT`] of it.
fn perfectly_predicted(design: &Design, eta: &[f64], link: Link) -> bool {
    design.y.iter().zip(eta).all(|(y, e)| (y - link.cdf(*e)).abs() < PERFECT)
}

fn not_converged(link: Link, iterations: u32, why: String) -> RegressionError {
    RegressionError::NotConverged { method: link.name().to_owned(), iterations, why }
}

/// The information is singular: at the start (all weights equal) that is a singular design;
/// later, fitted probabilities of 0 or 1 have emptied the weights.
fn singular_information(design: &Design, column: usize, iterations: u32, link: Link) -> RegressionError {
    if iterations == 0 {
        RegressionError::singular(&design.names, column, design.y.len() as u64)
    } else {
        not_converged(
            link,
            iterations,
            "the information matrix became singular as fitted probabilities reached 0 or 1: the outcome may be separated"
                .to_owned(),
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::super::RegressionError;
    use super::super::tests::{close, fit};
    use super::*;

    #[test]
    fn the_links_are_stable_in_the_tails() {
        assert_eq!(logistic(0.0), 0.5);
        assert!(logistic(-800.0) >= 0.0 && logistic(800.0) == 1.0);
        assert!(close(softplus(800.0), 800.0, 1e-15));
        // scipy.stats.norm: cdf(1.959963984540054) = 0.975, logcdf(-30) = -454.32124395634327,
        // pdf(-30) / cdf(-30) = 30.033259667435388, logcdf(-40) = -804.6084420137539
        assert!(close(normal_cdf(1.959963984540054), 0.975, 1e-14), "{}", normal_cdf(1.959963984540054));
        assert!(close(log_normal_cdf(-30.0), -454.321_243_956_343_27, 1e-13));
        assert!(close(mills(-30.0), 30.033_259_667_435_388, 1e-12));
        assert!(close(log_normal_cdf(-40.0), -804.608_442_013_753_9, 1e-12));
    }

    #[test]
    fn a_saturated_logit_recovers_the_log_odds() {
        // One binary regressor: the MLE reproduces each group's share. x = 0: 2 of 6 are 1,
        // log odds ln(2/4); x = 1: 4 of 6, ln(4/2) = −const + slope ⇒ slope = 2 ln 2.
        // se² of the slope = Σ 1/count of the 2x2 table = 1/2 + 1/4 + 1/4 + 1/2 = 1.5.
        let csv = "y,x\n1,0\n1,0\n0,0\n0,0\n0,0\n0,0\n1,1\n1,1\n1,1\n1,1\n0,1\n0,1\n";
        let r = fit(csv, r#"{"method":"logit","endog":"y","exog":"x","add_constant":true}"#).unwrap();
        assert!(close(r.rows[0][0].unwrap(), -(2.0_f64.ln()), 1e-9), "{:?}", r.rows);
        assert!(close(r.rows[1][0].unwrap(), 2.0 * 2.0_f64.ln(), 1e-9));
        assert!(close(r.rows[1][1].unwrap(), 1.5_f64.sqrt(), 1e-9));
        assert!(close(r.rows[0][1].unwrap(), 0.75_f64.sqrt(), 1e-9));
        assert_eq!(r.columns[2..4], ["z", "P>|z|"]);
        // ȳ = 1/2: llnull = 12 ln(1/2)
        assert!(close(r.fit.ll_null.unwrap(), 12.0 * 0.5_f64.ln(), 1e-12));
        assert!(r.fit.iterations.unwrap() < MAX_ITERATIONS);
    }

    #[test]
    fn a_saturated_probit_recovers_the_normal_quantiles() {
        // Same data: Φ(const) = 1/3, Φ(const + slope) = 2/3, so slope = −2 const.
        let csv = "y,x\n1,0\n1,0\n0,0\n0,0\n0,0\n0,0\n1,1\n1,1\n1,1\n1,1\n0,1\n0,1\n";
        let r = fit(csv, r#"{"method":"probit","endog":"y","exog":"x","add_constant":true}"#).unwrap();
        let c = r.rows[0][0].unwrap();
        assert!(close(normal_cdf(c), 1.0 / 3.0, 1e-9), "{c}");
        assert!(close(r.rows[1][0].unwrap(), -2.0 * c, 1e-9));
    }

    #[test]
    fn perfect_separation_is_an_error() {
        let csv = "y,x\n0,1\n0,2\n0,3\n1,4\n1,5\n1,6\n";
        let err = fit(csv, r#"{"method":"logit","endog":"y","exog":"x","add_constant":true}"#).unwrap_err();
        assert!(
            matches!(err, RegressionError::PerfectSeparation { .. } | RegressionError::NotConverged { .. }),
            "{err}"
        );
        let err = fit(csv, r#"{"method":"probit","endog":"y","exog":"x","add_constant":true}"#).unwrap_err();
        assert!(
            matches!(err, RegressionError::PerfectSeparation { .. } | RegressionError::NotConverged { .. }),
            "{err}"
        );
    }
}

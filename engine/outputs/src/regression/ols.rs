//! Ordinary least squares, as statsmodels' `OLS(...).fit()` reports it.

use super::linalg::{back_substitute, householder_qr, inverse_of_rtr};
use super::{Design, Estimates, RegressionError, RegressionFit};

/// Fits `y = X b + e` by Householder QR.
///
/// The covariance is `s² (X'X)⁻¹` with `s² = SSR / df_resid`; with no residual degrees of
/// freedom `s²` is undefined and so are the standard errors (statsmodels shows NaN).
pub(super) fn fit(design: &Design) -> Result<(Estimates, RegressionFit), RegressionError> {
    let (n, k) = (design.x.rows, design.x.cols);
    let qr = householder_qr(&design.x, &design.y)
        .map_err(|c| RegressionError::singular(&design.names, c.column, n as u64))?;
    let params = back_substitute(&qr.r, &qr.qty, k);
    let fitted = design.x.mul_vec(&params);
    let ssr: f64 = design.y.iter().zip(&fitted).map(|(y, f)| (y - f) * (y - f)).sum();
    let df_resid = n.saturating_sub(k) as f64;
    let scale = if df_resid > 0.0 { ssr / df_resid } else { f64::NAN };
    let cov = inverse_of_rtr(&qr.r, k).into_iter().map(|v| v * scale).collect();

    let nf = n as f64;
    let mean = design.y.iter().sum::<f64>() / nf;
    let centered_tss: f64 = design.y.iter().map(|y| (y - mean) * (y - mean)).sum();
    let uncentered_tss: f64 = design.y.iter().map(|y| y * y).sum();
    let k_constant = u64::from(design.has_constant) as f64;
    let tss = if design.has_constant { centered_tss } else { uncentered_tss };
    let df_model = k as f64 - k_constant;
    let finite = |x: f64| x.is_finite().then_some(x);
    let r_squared = finite(1.0 - ssr / tss);
    let adj_r_squared =
        r_squared.and_then(|r2| finite(1.0 - (nf - k_constant) / df_resid * (1.0 - r2))).filter(|_| df_resid > 0.0);
    let f_statistic =
        (df_model > 0.0 && df_resid > 0.0).then(|| ((tss - ssr) / df_model) / (ssr / df_resid)).and_then(finite);
    let f_pvalue = f_statistic.and_then(|f| {
        use statrs::distribution::{ContinuousCDF, FisherSnedecor};
        FisherSnedecor::new(df_model, df_resid).ok().map(|d| d.sf(f))
    });
    let half = nf / 2.0;
    let llf = finite(-half * (2.0 * std::f64::consts::PI).ln() - half * (ssr / nf).ln() - half);
    let parameters = k as f64;
    let fit = RegressionFit {
        dep_variable: String::new(),
        nobs: 0,
        dropped: 0,
        df_model: 0,
        df_resid: 0,
        has_constant: design.has_constant,
        r_squared,
        adj_r_squared,
        f_statistic,
        f_pvalue,
        log_likelihood: llf,
        ll_null: None,
        pseudo_r_squared: None,
        llr_pvalue: None,
        aic: llf.map(|l| -2.0 * l + 2.0 * parameters),
        bic: llf.map(|l| -2.0 * l + nf.ln() * parameters),
        iterations: None,
    };
    Ok((Estimates { params, cov }, fit))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::super::tests::{close, fit};

    #[test]
    fn a_simple_regression_by_hand() {
        // x = 1..5, y = 2, 4, 5, 4, 5: x̄ = 3, ȳ = 4, Sxx = 10, Sxy = 6, slope 0.6,
        // intercept 2.2, residuals -0.8, 0.6, 1, -0.6, -0.2, SSR = 2.4, s² = 0.8,
        // se(slope) = sqrt(0.8 / 10), se(const) = sqrt(0.8 (1/5 + 9/10)), R² = 1 - 2.4/6.
        let csv = "y,x\n2,1\n4,2\n5,3\n4,4\n5,5\n";
        let r = fit(csv, r#"{"method":"ols","endog":"y","exog":["x"],"add_constant":true}"#).unwrap();
        let (c, s) = (&r.rows[0], &r.rows[1]);
        assert!(close(c[0].unwrap(), 2.2, 1e-14) && close(s[0].unwrap(), 0.6, 1e-14));
        assert!(close(s[1].unwrap(), 0.08_f64.sqrt(), 1e-13));
        assert!(close(c[1].unwrap(), 0.88_f64.sqrt(), 1e-13));
        assert!(close(s[2].unwrap(), 0.6 / 0.08_f64.sqrt(), 1e-13));
        // scipy.stats.t.sf(0.6 / sqrt(0.08), 3) * 2 = 0.1240270626575546 (t = 2.1213 on 3 dof)
        assert!(close(s[3].unwrap(), 0.124_027_062_657_554_6, 1e-12), "{:?}", s[3]);
        // scipy.stats.t.ppf(0.975, 3) = 3.1824463052837078
        assert!(close(s[5].unwrap() - s[0].unwrap(), 3.182_446_305_283_707_8 * 0.08_f64.sqrt(), 1e-12));
        assert!(close(r.fit.r_squared.unwrap(), 0.6, 1e-14));
        // F = (3.6 / 1) / (2.4 / 3) = 4.5 = t²
        assert!(close(r.fit.f_statistic.unwrap(), 4.5, 1e-13));
        assert!(close(r.fit.f_pvalue.unwrap(), 0.124_027_062_657_554_6, 1e-12));
        assert_eq!(r.columns, ["coef", "std err", "t", "P>|t|", "[0.025", "0.975]"]);
    }

    #[test]
    fn no_residual_degrees_of_freedom_leave_the_errors_undefined() {
        let r = fit("y,x\n1,0\n3,1\n", r#"{"method":"ols","endog":"y","exog":"x","add_constant":true}"#).unwrap();
        assert_eq!(r.fit.df_resid, 0);
        assert!(close(r.rows[1][0].unwrap(), 2.0, 1e-14));
        assert_eq!(r.rows[1][1..], [None, None, None, None, None]);
    }

    #[test]
    fn without_a_constant_r_squared_is_uncentred() {
        // y = 2x exactly plus residuals 1, -1 at x = 1, 2: b = (1*3 + 2*3) / 5 = 9/5.
        let r = fit("y,x\n3,1\n3,2\n", r#"{"method":"ols","endog":"y","exog":"x"}"#).unwrap();
        assert!(close(r.rows[0][0].unwrap(), 1.8, 1e-14));
        // SSR = (3 - 1.8)² + (3 - 3.6)² = 1.8, uncentred TSS = 18: R² = 0.9
        assert!(close(r.fit.r_squared.unwrap(), 0.9, 1e-13));
        assert!(!r.fit.has_constant);
    }
}

//! The little dense linear algebra a regression needs: Householder QR of a tall design matrix
//! (least squares without forming X'X, so the condition number is not squared) and Cholesky
//! factorisation of a symmetric positive definite matrix (Newton steps, covariances).
//!
//! Matrices are row-major `Vec<f64>` with their shape passed alongside; sizes are small (k
//! parameters) except the design's row count.

/// A tall matrix `rows x cols`, row-major.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Matrix {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f64>,
}

impl Matrix {
    pub(crate) fn zeros(rows: usize, cols: usize) -> Self {
        Matrix { rows, cols, data: vec![0.0; rows.saturating_mul(cols)] }
    }

    pub(crate) fn get(&self, r: usize, c: usize) -> f64 {
        self.data.get(r * self.cols + c).copied().unwrap_or(f64::NAN)
    }

    pub(crate) fn set(&mut self, r: usize, c: usize, v: f64) {
        if let Some(slot) = self.data.get_mut(r * self.cols + c) {
            *slot = v;
        }
    }

    /// Row `r` as a slice (empty when out of range).
    pub(crate) fn row(&self, r: usize) -> &[f64] {
        self.data.get(r * self.cols..(r + 1) * self.cols).unwrap_or_default()
    }

    /// `self * v`.
    pub(crate) fn mul_vec(&self, v: &[f64]) -> Vec<f64> {
        (0..self.rows).map(|r| dot(self.row(r), v)).collect()
    }
}

pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The column whose part not explained by the columns before it is (numerically) nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Collinear {
    /// Its position among the columns.
    pub column: usize,
}

/// A column is collinear with those before it when what is left of it after projecting them
/// out is below this fraction of its norm: a coefficient would then be determined to fewer
/// than about 6 significant digits (the condition number exceeds 1e10), and a column exactly
/// in the span of the others leaves rounding noise of about 1e-16 of its norm.
pub(crate) const COLLINEAR_TOLERANCE: f64 = 1e-10;

/// The Householder QR factorisation of a design matrix: `R` (upper triangular, `k x k`) and
/// `Q' y` for a right-hand side.
pub(crate) struct Qr {
    /// `R`, row-major `k x k`.
    pub r: Vec<f64>,
    /// `Q' y`, first `k` entries.
    pub qty: Vec<f64>,
}

/// Factorises `x` (`n x k`, n >= k) and applies the reflections to `y`.
///
/// # Errors
/// The first column collinear with the columns before it (all zero included).
pub(crate) fn householder_qr(x: &Matrix, y: &[f64]) -> Result<Qr, Collinear> {
    let (n, k) = (x.rows, x.cols);
    if n < k {
        // Fewer rows than columns: no column in particular (the caller says so).
        return Err(Collinear { column: k });
    }
    // Column-major copy: each reflection works down one column.
    let mut a: Vec<Vec<f64>> = (0..k).map(|c| (0..n).map(|r| x.get(r, c)).collect()).collect();
    let norms: Vec<f64> = a.iter().map(|col| norm(col)).collect();
    let mut b = y.to_vec();
    for j in 0..k {
        let (_, rest) = a.split_at_mut(j);
        let Some((col, later)) = rest.split_first_mut() else { break };
        let tail = col.get(j..).unwrap_or_default();
        let alpha = norm(tail);
        let original = norms.get(j).copied().unwrap_or(0.0);
        if alpha.is_nan() || alpha <= COLLINEAR_TOLERANCE * original || original == 0.0 {
            return Err(Collinear { column: j });
        }
        let head = col.get(j).copied().unwrap_or(0.0);
        // v = x - (-sign(head) alpha) e1, chosen to avoid cancellation.
        let beta = if head >= 0.0 { -alpha } else { alpha };
        let mut v: Vec<f64> = tail.to_vec();
        if let Some(first) = v.first_mut() {
            *first -= beta;
        }
        let vnorm2 = dot(&v, &v);
        let reflect = |target: &mut [f64]| {
            if vnorm2 == 0.0 {
                return;
            }
            let part = target.get_mut(j..).unwrap_or_default();
            let s = 2.0 * dot(&v, part) / vnorm2;
            for (t, vi) in part.iter_mut().zip(&v) {
                *t -= s * vi;
            }
        };
        for other in later.iter_mut() {
            reflect(other);
        }
        reflect(&mut b);
        if let Some(slot) = col.get_mut(j) {
            *slot = beta;
        }
        for slot in col.iter_mut().skip(j + 1) {
            *slot = 0.0;
        }
    }
    let mut r = vec![0.0; k * k];
    for (c, col) in a.iter().enumerate() {
        for (row, value) in col.iter().take(c + 1).enumerate() {
            if let Some(slot) = r.get_mut(row * k + c) {
                *slot = *value;
            }
        }
    }
    Ok(Qr { r, qty: b.into_iter().take(k).collect() })
}

fn norm(v: &[f64]) -> f64 {
    // Scaled to avoid overflow and underflow of the squares.
    let scale = v.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
    if scale == 0.0 || !scale.is_finite() {
        return scale;
    }
    scale * v.iter().map(|x| (x / scale) * (x / scale)).sum::<f64>().sqrt()
}

/// Solves `R b = c` for upper triangular `R` (`k x k`, row-major).
pub(crate) fn back_substitute(r: &[f64], c: &[f64], k: usize) -> Vec<f64> {
    let mut b = vec![0.0; k];
    for i in (0..k).rev() {
        let mut s = c.get(i).copied().unwrap_or(f64::NAN);
        for j in i + 1..k {
            s -= r.get(i * k + j).copied().unwrap_or(f64::NAN) * b.get(j).copied().unwrap_or(f64::NAN);
        }
        if let Some(slot) = b.get_mut(i) {
            *slot = s / r.get(i * k + i).copied().unwrap_or(f64::NAN);
        }
    }
    b
}

/// `(R'R)^-1 = R^-1 R^-T` for upper triangular `R`: the unscaled covariance of least squares.
pub(crate) fn inverse_of_rtr(r: &[f64], k: usize) -> Vec<f64> {
    // Columns of R^-1, by back substitution against the unit vectors.
    let mut rinv = vec![0.0; k * k];
    for c in 0..k {
        let e: Vec<f64> = (0..k).map(|i| if i == c { 1.0 } else { 0.0 }).collect();
        for (row, v) in back_substitute(r, &e, k).into_iter().enumerate() {
            if let Some(slot) = rinv.get_mut(row * k + c) {
                *slot = v;
            }
        }
    }
    let mut out = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..k {
            let s: f64 = (0..k)
                .map(|m| rinv.get(i * k + m).copied().unwrap_or(0.0) * rinv.get(j * k + m).copied().unwrap_or(0.0))
                .sum();
            if let Some(slot) = out.get_mut(i * k + j) {
                *slot = s;
            }
        }
    }
    out
}

/// The Cholesky factor `L` (`L L' = a`) of a symmetric `k x k` matrix, or the first pivot that
/// is not positive (relative to the diagonal: the matrix is singular or not positive definite).
pub(crate) fn cholesky(a: &[f64], k: usize) -> Result<Vec<f64>, usize> {
    let mut l = vec![0.0; k * k];
    let at = |m: &[f64], i: usize, j: usize| m.get(i * k + j).copied().unwrap_or(f64::NAN);
    for j in 0..k {
        let mut d = at(a, j, j);
        for m in 0..j {
            d -= at(&l, j, m) * at(&l, j, m);
        }
        let scale = at(a, j, j).abs();
        if !d.is_finite() || d <= COLLINEAR_TOLERANCE * COLLINEAR_TOLERANCE * scale {
            return Err(j);
        }
        let d = d.sqrt();
        if let Some(slot) = l.get_mut(j * k + j) {
            *slot = d;
        }
        for i in j + 1..k {
            let mut s = at(a, i, j);
            for m in 0..j {
                s -= at(&l, i, m) * at(&l, j, m);
            }
            if let Some(slot) = l.get_mut(i * k + j) {
                *slot = s / d;
            }
        }
    }
    Ok(l)
}

/// Solves `L L' x = b` with the Cholesky factor `L`.
pub(crate) fn cholesky_solve(l: &[f64], b: &[f64], k: usize) -> Vec<f64> {
    let at = |i: usize, j: usize| l.get(i * k + j).copied().unwrap_or(f64::NAN);
    let mut z = vec![0.0; k];
    for i in 0..k {
        let mut s = b.get(i).copied().unwrap_or(f64::NAN);
        for j in 0..i {
            s -= at(i, j) * z.get(j).copied().unwrap_or(f64::NAN);
        }
        if let Some(slot) = z.get_mut(i) {
            *slot = s / at(i, i);
        }
    }
    let mut x = vec![0.0; k];
    for i in (0..k).rev() {
        let mut s = z.get(i).copied().unwrap_or(f64::NAN);
        for j in i + 1..k {
            s -= at(j, i) * x.get(j).copied().unwrap_or(f64::NAN);
        }
        if let Some(slot) = x.get_mut(i) {
            *slot = s / at(i, i);
        }
    }
    x
}

/// The inverse of a symmetric positive definite matrix from its Cholesky factor.
pub(crate) fn cholesky_inverse(l: &[f64], k: usize) -> Vec<f64> {
    let mut inv = vec![0.0; k * k];
    for c in 0..k {
        let e: Vec<f64> = (0..k).map(|i| if i == c { 1.0 } else { 0.0 }).collect();
        for (row, v) in cholesky_solve(l, &e, k).into_iter().enumerate() {
            if let Some(slot) = inv.get_mut(row * k + c) {
                *slot = v;
            }
        }
    }
    inv
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn matrix(rows: &[&[f64]]) -> Matrix {
        Matrix { rows: rows.len(), cols: rows[0].len(), data: rows.iter().flat_map(|r| r.iter().copied()).collect() }
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
    }

    #[test]
    fn least_squares_by_qr_solves_a_line_exactly() {
        // y = 1 + 2x
        let x = matrix(&[&[1.0, 0.0], &[1.0, 1.0], &[1.0, 2.0], &[1.0, 3.0]]);
        let y = [1.0, 3.0, 5.0, 7.0];
        let qr = householder_qr(&x, &y).unwrap();
        let b = back_substitute(&qr.r, &qr.qty, 2);
        assert!(close(b[0], 1.0, 1e-14) && close(b[1], 2.0, 1e-14), "{b:?}");
        // (X'X)^-1 for x = 0..3: X'X = [[4, 6], [6, 14]], det 20 -> [[0.7, -0.3], [-0.3, 0.2]]
        let inv = inverse_of_rtr(&qr.r, 2);
        for (got, want) in inv.iter().zip([0.7, -0.3, -0.3, 0.2]) {
            assert!(close(*got, want, 1e-14), "{inv:?}");
        }
    }

    #[test]
    fn collinear_and_zero_columns_are_found() {
        let x = matrix(&[&[1.0, 0.1, 0.2], &[1.0, 0.3, 0.6], &[1.0, 0.7, 1.4], &[1.0, 0.9, 1.8]]);
        assert_eq!(householder_qr(&x, &[0.0; 4]).err(), Some(Collinear { column: 2 }));
        let zero = matrix(&[&[1.0, 0.0], &[2.0, 0.0], &[3.0, 0.0]]);
        assert_eq!(householder_qr(&zero, &[0.0; 3]).err(), Some(Collinear { column: 1 }));
        let wide = matrix(&[&[1.0, 2.0, 3.0]]);
        assert!(householder_qr(&wide, &[0.0]).is_err());
    }

    #[test]
    fn cholesky_solves_and_inverts() {
        let a = [4.0, 2.0, 2.0, 3.0];
        let l = cholesky(&a, 2).unwrap();
        assert_eq!(l, [2.0, 0.0, 1.0, 2.0_f64.sqrt()]);
        let x = cholesky_solve(&l, &[6.0, 5.0], 2);
        assert!(close(x[0], 1.0, 1e-15) && close(x[1], 1.0, 1e-15), "{x:?}");
        let inv = cholesky_inverse(&l, 2);
        for (got, want) in inv.iter().zip([3.0 / 8.0, -0.25, -0.25, 0.5]) {
            assert!(close(*got, want, 1e-15), "{inv:?}");
        }
        assert_eq!(cholesky(&[1.0, 1.0, 1.0, 1.0], 2), Err(1));
    }
}

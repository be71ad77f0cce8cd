SELECT age_band, sex, systolic_bp, ldl_cholesterol FROM cohort;

// Package policies holds ballast's election-timeout policies: the paper
// baselines, the adaptive policies (BALLAST's safe LinUCB bandit, Dynatune,
// accrual and quantile detectors, the neuro-symbolic LSTM) and their
// registry (Lookup, Build), with every parameter's default and provenance.
// The interface they implement is package policies/policy; docs/policies.md
// describes each policy and docs/extending.md how to add one.
package policies

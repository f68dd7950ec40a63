"""IAM enforcement on the twin: the CI policy (env/ci-policy.json) rendered for a stack, the users the
supervisor creates under `twin up --enforce-iam`, and the corrections to moto 5.2.5's enforcement.

See docs/iam.md for what is proven on the twin and how to deploy the policy on AWS.
"""

# stripe-mock: Stripe's API mock (OpenAPI-driven fixtures), for the payment provider tests.
STRIPE_MOCK_VERSION=0.203.0
go_build stripe-mock "github.com/stripe/stripe-mock@v$STRIPE_MOCK_VERSION" ""

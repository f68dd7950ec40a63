"""The learninghub reference API behind `app.handler`: routes, input validation, data access."""

"""Online prediction: the production model behind a JSON endpoint, and its tokens."""

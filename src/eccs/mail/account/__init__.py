"""A person's data as a whole: erased when their account is deleted, exported on request."""

"""Records and reviews: signed inspection records, photos, the check pool, team leaders' reviews."""

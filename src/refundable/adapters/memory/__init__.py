"""In-memory repositories and read side: the same protocols as the SQL store, held in
dictionaries, so service tests run through the real bootstrap in milliseconds."""

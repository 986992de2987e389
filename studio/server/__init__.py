"""`kinora serve`: the OpenAI Videos API over the library's queue, the engine and the export path."""

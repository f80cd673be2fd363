"""Extensions Rasa loads by module path from endpoints.yml (they import Rasa, so they live
outside the `personalization` library)."""

"""What one trial does: realign, fine-tune on English, evaluate zero-shot per language, report."""

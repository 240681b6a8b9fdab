"""The landing zone: files published by upstream producers, never edited by the pipeline."""

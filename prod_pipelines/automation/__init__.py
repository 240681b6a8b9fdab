"""What starts runs without a person: the daily schedule and the late-data sensor."""

"""What starts runs without a person: the arrival sensor (a day runs when its feeds have landed)
and the late-data sensor."""

"""Cameos with consent: verification of a recording, the cameo record, signed grants, receipts, rules."""

"""Conversations: follow-up questions resolved against earlier turns, a store of turns and feedback."""

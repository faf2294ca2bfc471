"""Printers, one module per output format; they share common.py's precedence table."""

"""Small checks composed by the hosted-domain endpoints; each raises a typed error or returns what it found."""

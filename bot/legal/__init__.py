"""The law: the ward's register of legal documents (register.py), the articles the assistant may quote
(articles.py), the legal-basis review (review.py) and answering legal questions (search.py, answers.py)."""

"""Two-tower recommender: interaction data, towers, contrastive training, evaluation against baselines."""

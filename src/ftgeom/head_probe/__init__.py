"""Paper C (Ren et al., ICLR 2023, arXiv 2302.05779): how the task head prepared before fine-tuning sets the
"energy" available to feature adaptation.

features — backbone features computed once per (model, task), and a TaskModel that reads them;
energy — loss, accuracy and mean ‖e_y − p‖ of a head on the training set;
probe — head probing for τ epochs with the shared loop on cached features (every τ from one run);
runs — fine-tuning from each probed head (the shared loop, feature drift tracked);
linear_model — our overparameterised linear simulation of the energy trend;
analysis, figures — tidy tables, claim rows, figures and LaTeX fragments.
"""

"""``cnverify diff``: what a configuration change does to invariants, routing and capacity.

Library API: ``cnverify.diff.run.diff(old_side, new_side, options, plan) -> DiffResult`` with sides
from ``cnverify.diff.gitsource`` (``path_side``, ``rev_side``, ``worktree_side``) and an optional
slicing ``Plan`` from ``cnverify.diff.slicing.plan``; renderers in ``cnverify.diff.render``.
"""

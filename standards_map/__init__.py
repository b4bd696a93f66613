"""The DfE standards as data, the pure checks that judge evidence, and the evaluator. No I/O, no clock."""

"""Models: presets, model files, layers, training and reading layers.

TensorFlow is imported lazily (``runtime.keras_module()``), so importing this package is
instant. The package re-exports what callers use; the modules say what they own."""

from .files import check_model_save_path, load_model_file, save_model_file
from .layers import (LayerInfo, bump_version, check_compatible, describe_layers, expects_tokens,
                     input_shape, model_version, output_kind)
from .presets import (OPTIMIZERS, PRESETS, ModelConfig, build_model, compile_model,
                      default_config, default_preset_for, ensure_compiled, preset_suits)

__all__ = [
    "check_model_save_path", "load_model_file", "save_model_file",
    "LayerInfo", "bump_version", "check_compatible", "describe_layers", "expects_tokens",
    "input_shape", "model_version", "output_kind",
    "OPTIMIZERS", "PRESETS", "ModelConfig", "build_model", "compile_model", "default_config",
    "default_preset_for", "ensure_compiled", "preset_suits",
]

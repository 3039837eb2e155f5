"""The CNN: small convolutional blocks over a (F, T) time-frequency matrix.

The default for 20 x 20 MFCC frames is the seed work's network: two blocks of
3 x 3 convolutions (32 and 64 filters) with 2 x 2 max-pooling, then a dense
layer with dropout and a softmax.  Batch normalisation after each
convolution makes a few epochs enough.  Larger inputs (log-mel 64 x 64) get a
third block (16, 32, 64 filters) so the dense layer stays small.
"""

from __future__ import annotations

from .backend import import_keras

__all__ = ["build_network", "default_filters"]


def default_filters(input_shape) -> tuple[int, ...]:
    """Filters per convolutional block for an (F, T) input.

    ``(32, 64)`` (the seed MFCC CNN) when both sides are below 48, else
    ``(16, 32, 64)``.
    """
    return (32, 64) if max(input_shape) < 48 else (16, 32, 64)


def build_network(input_shape, n_classes: int, *, filters=None, dense: int = 64,
                  dropout: float = 0.3, seed: int = 0):
    """An uncompiled Keras model mapping (F, T, 1) inputs to class probabilities.

    Parameters
    ----------
    input_shape : (int, int)
        (F, T) of one matrix.
    n_classes : int
        Softmax outputs (>= 2).
    filters : sequence of int, optional
        Filters of each Conv-BatchNorm-ReLU-MaxPool block; default
        :func:`default_filters`.  A block pools only the sides still >= 2.
    dense : int
        Units of the hidden dense layer (0: none).
    dropout : float
        Dropout rate before the hidden and output layers.
    seed : int
        Seeds every layer's initialiser and dropout (each its own seed derived
        from ``seed``), so building and training never touch a global RNG.

    Returns
    -------
    keras.Model
        Input (batch, F, T, 1), output (batch, n_classes) softmax.
    """
    keras = import_keras()
    layers = keras.layers
    f, t = (int(v) for v in input_shape)
    inputs = keras.Input(shape=(f, t, 1), name="frames")
    seeds = iter(range(int(seed) * 1000, int(seed) * 1000 + 1000))

    def init():
        return keras.initializers.GlorotUniform(seed=next(seeds))

    x = inputs
    for i, n in enumerate(filters or default_filters((f, t))):
        x = layers.Conv2D(int(n), 3, padding="same", use_bias=False, kernel_initializer=init(),
                          data_format="channels_last", name=f"conv{i}")(x)
        x = layers.BatchNormalization(name=f"bn{i}")(x)
        x = layers.Activation("relu", name=f"relu{i}")(x)
        pool = (2 if f >= 2 else 1, 2 if t >= 2 else 1)
        f, t = f // pool[0], t // pool[1]
        x = layers.MaxPooling2D(pool, data_format="channels_last", name=f"pool{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    if dense:
        x = layers.Dropout(dropout, seed=next(seeds), name="dropout_hidden")(x)
        x = layers.Dense(int(dense), activation="relu", kernel_initializer=init(), name="dense")(x)
    x = layers.Dropout(dropout, seed=next(seeds), name="dropout_out")(x)
    outputs = layers.Dense(int(n_classes), activation="softmax", kernel_initializer=init(),
                           name="proba")(x)
    return keras.Model(inputs, outputs, name="featurekit_frames_cnn")

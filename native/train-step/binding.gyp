# Built by scripts/install-train-step.js against the libtensorflow that tfjs-node uses
# (node_modules/@tensorflow/tfjs-node/deps), so one copy of libtensorflow serves both addons.
{
  'variables': {
    'tf_deps': '<(module_root_dir)/../../node_modules/@tensorflow/tfjs-node/deps',
  },
  'targets': [{
    'target_name': 'mlplane_train_step',
    'sources': ['train_step.cc'],
    'include_dirs': ['<(tf_deps)/include'],
    'cflags_cc!': ['-fno-exceptions'],
    'cflags_cc': ['-fexceptions', '-std=c++17', '-O2'],
    'libraries': [
      '-Wl,-rpath,\$$ORIGIN/../../../../node_modules/@tensorflow/tfjs-node/deps/lib',
      '-ltensorflow',
    ],
    'library_dirs': ['<(tf_deps)/lib'],
  }],
}

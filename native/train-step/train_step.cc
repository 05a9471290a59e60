// mlplane's graph addon: a thin N-API wrapper over libtensorflow's graph C API, so that
// src/ml/compiled/ can build a whole training step (forward pass, loss, gradients from
// TF_AddGradients, optimizer updates on resource variables) as one TF_Graph and run it with one
// TF_SessionRun per batch. It knows nothing about models: TypeScript builds the graph op by op.
//
// Exports:
//   newGraph() -> graph
//   addOperation(graph, type, name, inputs, attrs, controlInputs) -> op index
//       inputs: array of [op, outputIndex] or, for a list input, an array of those
//       attrs:  array of [name, kind, value], kind one of type | int | float | bool | shape | tensor | string
//       controlInputs: op indices that must run first
//   addGradients(graph, prefix, ys, xs) -> [op, outputIndex][] (d(sum ys)/d xs)
//   newSession(graph, intraOpThreads, interOpThreads) -> session (interOpThreads < 0: ops run in the caller's thread)
//   prepare(session, feeds, fetches, targets) -> runner
//   run(runner, values, shapes) -> typed arrays, one per fetch (Float32Array or Int32Array)
//   closeSession(session)
#include <node_api.h>
#include <tensorflow/c/c_api.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

struct Graph {
  TF_Graph* graph;
  std::vector<TF_Operation*> ops;
  std::unordered_map<TF_Operation*, int> index;
  int refs;  // the JS handle and every session built on it
};

struct Session {
  TF_Session* session;
  Graph* graph;
};

struct Runner {
  Session* session;
  std::vector<TF_Output> feeds;
  std::vector<TF_Output> fetches;
  std::vector<TF_Operation*> targets;
};

class Failure {
 public:
  explicit Failure(std::string message) : message(std::move(message)) {}
  std::string message;
};

void Check(napi_status status, const char* what) {
  if (status != napi_ok) throw Failure(std::string("N-API call failed: ") + what);
}

void Release(Graph* graph) {
  if (--graph->refs == 0) {
    TF_DeleteGraph(graph->graph);
    delete graph;
  }
}

void DeleteSession(Session* session) {
  if (session->session == nullptr) return;
  TF_Status* status = TF_NewStatus();
  TF_CloseSession(session->session, status);
  TF_DeleteSession(session->session, status);
  TF_DeleteStatus(status);
  session->session = nullptr;
  Release(session->graph);
}

class StatusGuard {
 public:
  StatusGuard() : status(TF_NewStatus()) {}
  ~StatusGuard() { TF_DeleteStatus(status); }
  void Throw(const char* what) const {
    if (TF_GetCode(status) != TF_OK) throw Failure(std::string(what) + ": " + TF_Message(status));
  }
  TF_Status* status;
};

template <typename T>
T* Unwrap(napi_env env, napi_value value, const char* what) {
  void* data = nullptr;
  if (napi_get_value_external(env, value, &data) != napi_ok || data == nullptr) {
    throw Failure(std::string("expected a ") + what + " handle");
  }
  return static_cast<T*>(data);
}

std::string String(napi_env env, napi_value value) {
  size_t length = 0;
  Check(napi_get_value_string_utf8(env, value, nullptr, 0, &length), "string length");
  std::string out(length, '\0');
  Check(napi_get_value_string_utf8(env, value, &out[0], length + 1, &length), "string");
  return out;
}

double Number(napi_env env, napi_value value) {
  double out = 0;
  if (napi_get_value_double(env, value, &out) != napi_ok) throw Failure("expected a number");
  return out;
}

uint32_t Length(napi_env env, napi_value array) {
  bool isArray = false;
  Check(napi_is_array(env, array, &isArray), "is array");
  if (!isArray) throw Failure("expected an array");
  uint32_t length = 0;
  Check(napi_get_array_length(env, array, &length), "array length");
  return length;
}

napi_value Element(napi_env env, napi_value array, uint32_t i) {
  napi_value out;
  Check(napi_get_element(env, array, i, &out), "array element");
  return out;
}

TF_Operation* Op(Graph* graph, napi_env env, napi_value value) {
  double index = Number(env, value);
  if (index < 0 || index >= graph->ops.size()) throw Failure("operation index out of range");
  return graph->ops[static_cast<size_t>(index)];
}

TF_Output Output(Graph* graph, napi_env env, napi_value pair) {
  if (Length(env, pair) != 2) throw Failure("an output is [op, index]");
  return TF_Output{Op(graph, env, Element(env, pair, 0)), static_cast<int>(Number(env, Element(env, pair, 1)))};
}

std::vector<TF_Output> Outputs(Graph* graph, napi_env env, napi_value array) {
  std::vector<TF_Output> out;
  uint32_t length = Length(env, array);
  for (uint32_t i = 0; i < length; i++) out.push_back(Output(graph, env, Element(env, array, i)));
  return out;
}

std::vector<int64_t> Dims(napi_env env, napi_value array) {
  std::vector<int64_t> dims;
  uint32_t length = Length(env, array);
  for (uint32_t i = 0; i < length; i++) dims.push_back(static_cast<int64_t>(Number(env, Element(env, array, i))));
  return dims;
}

struct TypedData {
  TF_DataType dtype;
  void* data;
  size_t bytes;
};

TypedData Typed(napi_env env, napi_value value) {
  bool isTyped = false;
  Check(napi_is_typedarray(env, value, &isTyped), "is typed array");
  if (!isTyped) throw Failure("expected a Float32Array or Int32Array");
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  Check(napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr), "typed array info");
  if (type == napi_float32_array) return {TF_FLOAT, data, length * 4};
  if (type == napi_int32_array) return {TF_INT32, data, length * 4};
  throw Failure("expected a Float32Array or Int32Array");
}

TF_Tensor* NewTensor(napi_env env, napi_value values, napi_value shape) {
  TypedData typed = Typed(env, values);
  std::vector<int64_t> dims = Dims(env, shape);
  int64_t count = 1;
  for (int64_t d : dims) count *= d;
  if (static_cast<size_t>(count) * 4 != typed.bytes) throw Failure("tensor values do not fit its shape");
  TF_Tensor* tensor = TF_AllocateTensor(typed.dtype, dims.data(), static_cast<int>(dims.size()), typed.bytes);
  if (typed.bytes > 0) std::memcpy(TF_TensorData(tensor), typed.data, typed.bytes);
  return tensor;
}

void SetAttr(napi_env env, TF_OperationDescription* desc, napi_value spec) {
  if (Length(env, spec) != 3) throw Failure("an attribute is [name, kind, value]");
  std::string name = String(env, Element(env, spec, 0));
  std::string kind = String(env, Element(env, spec, 1));
  napi_value value = Element(env, spec, 2);
  const char* n = name.c_str();
  if (kind == "type") {
    TF_SetAttrType(desc, n, static_cast<TF_DataType>(Number(env, value)));
  } else if (kind == "int") {
    TF_SetAttrInt(desc, n, static_cast<int64_t>(Number(env, value)));
  } else if (kind == "float") {
    TF_SetAttrFloat(desc, n, static_cast<float>(Number(env, value)));
  } else if (kind == "bool") {
    bool b = false;
    Check(napi_get_value_bool(env, value, &b), "bool attribute");
    TF_SetAttrBool(desc, n, b ? 1 : 0);
  } else if (kind == "shape") {
    napi_valuetype t;
    Check(napi_typeof(env, value, &t), "typeof");
    if (t == napi_null) {
      TF_SetAttrShape(desc, n, nullptr, -1);
    } else {
      std::vector<int64_t> dims = Dims(env, value);
      TF_SetAttrShape(desc, n, dims.data(), static_cast<int>(dims.size()));
    }
  } else if (kind == "string") {
    std::string s = String(env, value);
    TF_SetAttrString(desc, n, s.data(), s.size());
  } else if (kind == "tensor") {
    // value: [typed array, shape]
    TF_Tensor* tensor = NewTensor(env, Element(env, value, 0), Element(env, value, 1));
    StatusGuard status;
    TF_SetAttrTensor(desc, n, tensor, status.status);
    TF_DeleteTensor(tensor);
    status.Throw("tensor attribute");
  } else {
    throw Failure("unknown attribute kind " + kind);
  }
}

int Register(Graph* graph, TF_Operation* op) {
  auto found = graph->index.find(op);
  if (found != graph->index.end()) return found->second;
  int index = static_cast<int>(graph->ops.size());
  graph->ops.push_back(op);
  graph->index.emplace(op, index);
  return index;
}

napi_value MakeNumber(napi_env env, double value) {
  napi_value out;
  Check(napi_create_double(env, value, &out), "number");
  return out;
}

napi_value MakePair(napi_env env, int op, int index) {
  napi_value pair;
  Check(napi_create_array_with_length(env, 2, &pair), "array");
  Check(napi_set_element(env, pair, 0, MakeNumber(env, op)), "set");
  Check(napi_set_element(env, pair, 1, MakeNumber(env, index)), "set");
  return pair;
}

std::vector<napi_value> Args(napi_env env, napi_callback_info info, size_t expected) {
  std::vector<napi_value> args(expected);
  size_t count = expected;
  Check(napi_get_cb_info(env, info, &count, args.data(), nullptr, nullptr), "arguments");
  if (count < expected) throw Failure("too few arguments");
  return args;
}

template <napi_value (*F)(napi_env, napi_callback_info)>
napi_value Guarded(napi_env env, napi_callback_info info) {
  try {
    return F(env, info);
  } catch (const Failure& failure) {
    napi_throw_error(env, nullptr, failure.message.c_str());
    return nullptr;
  }
}

napi_value NewGraph(napi_env env, napi_callback_info) {
  Graph* graph = new Graph{TF_NewGraph(), {}, {}, 1};
  napi_value out;
  Check(napi_create_external(env, graph, [](napi_env, void* data, void*) { Release(static_cast<Graph*>(data)); }, nullptr, &out),
        "external");
  return out;
}

napi_value AddOperation(napi_env env, napi_callback_info info) {
  auto args = Args(env, info, 6);
  Graph* graph = Unwrap<Graph>(env, args[0], "graph");
  std::string type = String(env, args[1]);
  std::string name = String(env, args[2]);
  TF_OperationDescription* desc = TF_NewOperation(graph->graph, type.c_str(), name.c_str());
  try {
    uint32_t inputs = Length(env, args[3]);
    for (uint32_t i = 0; i < inputs; i++) {
      napi_value input = Element(env, args[3], i);
      napi_value first = Element(env, input, 0);
      bool isList = false;
      Check(napi_is_array(env, first, &isList), "is array");
      if (isList || Length(env, input) == 0) {
        std::vector<TF_Output> list = Outputs(graph, env, input);
        TF_AddInputList(desc, list.data(), static_cast<int>(list.size()));
      } else {
        TF_AddInput(desc, Output(graph, env, input));
      }
    }
    uint32_t attrs = Length(env, args[4]);
    for (uint32_t i = 0; i < attrs; i++) SetAttr(env, desc, Element(env, args[4], i));
    uint32_t controls = Length(env, args[5]);
    for (uint32_t i = 0; i < controls; i++) TF_AddControlInput(desc, Op(graph, env, Element(env, args[5], i)));
  } catch (const Failure&) {
    // A description must be finished to be freed; a broken one fails here and is dropped.
    StatusGuard status;
    TF_FinishOperation(desc, status.status);
    throw;
  }
  StatusGuard status;
  TF_Operation* op = TF_FinishOperation(desc, status.status);
  status.Throw((type + " " + name).c_str());
  return MakeNumber(env, Register(graph, op));
}

napi_value NumOutputs(napi_env env, napi_callback_info info) {
  auto args = Args(env, info, 2);
  Graph* graph = Unwrap<Graph>(env, args[0], "graph");
  return MakeNumber(env, TF_OperationNumOutputs(Op(graph, env, args[1])));
}

napi_value AddGradients(napi_env env, napi_callback_info info) {
  auto args = Args(env, info, 4);
  Graph* graph = Unwrap<Graph>(env, args[0], "graph");
  std::string prefix = String(env, args[1]);
  std::vector<TF_Output> ys = Outputs(graph, env, args[2]);
  std::vector<TF_Output> xs = Outputs(graph, env, args[3]);
  std::vector<TF_Output> dys(xs.size());
  StatusGuard status;
  TF_AddGradientsWithPrefix(graph->graph, prefix.c_str(), ys.data(), static_cast<int>(ys.size()), xs.data(),
                            static_cast<int>(xs.size()), nullptr, status.status, dys.data());
  status.Throw("gradients");
  napi_value out;
  Check(napi_create_array_with_length(env, dys.size(), &out), "array");
  for (size_t i = 0; i < dys.size(); i++) {
    if (dys[i].oper == nullptr) throw Failure("a variable does not affect the loss (no gradient)");
    Check(napi_set_element(env, out, static_cast<uint32_t>(i), MakePair(env, Register(graph, dys[i].oper), dys[i].index)), "set");
  }
  return out;
}

napi_value NewSession(napi_env env, napi_callback_info info) {
  auto args = Args(env, info, 3);
  Graph* graph = Unwrap<Graph>(env, args[0], "graph");
  int intra = static_cast<int>(Number(env, args[1]));
  int inter = static_cast<int>(Number(env, args[2]));
  TF_SessionOptions* options = TF_NewSessionOptions();
  // ConfigProto: intra_op_parallelism_threads (field 2) and inter_op_parallelism_threads (field 5),
  // both varints; 0 lets TensorFlow choose (one per core). A negative inter-op count runs every op
  // in the calling thread (no hand-off to a pool); protobuf encodes -1 as a ten-byte varint.
  std::vector<uint8_t> config;
  if (intra > 0 && intra < 128) config.insert(config.end(), {0x10, static_cast<uint8_t>(intra)});
  if (inter > 0 && inter < 128) config.insert(config.end(), {0x28, static_cast<uint8_t>(inter)});
  if (inter < 0) config.insert(config.end(), {0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01});
  StatusGuard status;
  if (!config.empty()) {
    TF_SetConfig(options, config.data(), config.size(), status.status);
    if (TF_GetCode(status.status) != TF_OK) {
      TF_DeleteSessionOptions(options);
      status.Throw("session config");
    }
  }
  TF_Session* tfSession = TF_NewSession(graph->graph, options, status.status);
  TF_DeleteSessionOptions(options);
  status.Throw("new session");
  graph->refs++;
  Session* session = new Session{tfSession, graph};
  napi_value out;
  Check(napi_create_external(
            env, session,
            [](napi_env, void* data, void*) {
              Session* s = static_cast<Session*>(data);
              DeleteSession(s);
              delete s;
            },
            nullptr, &out),
        "external");
  return out;
}

napi_value CloseSession(napi_env env, napi_callback_info info) {
  auto args = Args(env, info, 1);
  DeleteSession(Unwrap<Session>(env, args[0], "session"));
  return nullptr;
}

napi_value Prepare(napi_env env, napi_callback_info info) {
  auto args = Args(env, info, 4);
  Session* session = Unwrap<Session>(env, args[0], "session");
  if (session->session == nullptr) throw Failure("the session is closed");
  Graph* graph = session->graph;
  Runner* runner = new Runner{session, Outputs(graph, env, args[1]), Outputs(graph, env, args[2]), {}};
  uint32_t targets = Length(env, args[3]);
  for (uint32_t i = 0; i < targets; i++) runner->targets.push_back(Op(graph, env, Element(env, args[3], i)));
  napi_value out;
  // The runner keeps the session alive through the JS object that prepared it (see src/ml/compiled).
  Check(napi_create_external(env, runner, [](napi_env, void* data, void*) { delete static_cast<Runner*>(data); }, nullptr, &out),
        "external");
  return out;
}

napi_value Run(napi_env env, napi_callback_info info) {
  auto args = Args(env, info, 3);
  Runner* runner = Unwrap<Runner>(env, args[0], "runner");
  if (runner->session->session == nullptr) throw Failure("the session is closed");
  uint32_t count = Length(env, args[1]);
  if (count != runner->feeds.size() || Length(env, args[2]) != count) throw Failure("one value and one shape per feed");
  std::vector<TF_Tensor*> inputs;
  std::vector<TF_Tensor*> outputs(runner->fetches.size(), nullptr);
  auto cleanup = [&]() {
    for (TF_Tensor* t : inputs) TF_DeleteTensor(t);
    for (TF_Tensor* t : outputs)
      if (t) TF_DeleteTensor(t);
  };
  try {
    for (uint32_t i = 0; i < count; i++) inputs.push_back(NewTensor(env, Element(env, args[1], i), Element(env, args[2], i)));
  } catch (const Failure&) {
    cleanup();
    throw;
  }
  StatusGuard status;
  TF_SessionRun(runner->session->session, nullptr, runner->feeds.data(), inputs.data(), static_cast<int>(inputs.size()),
                runner->fetches.data(), outputs.data(), static_cast<int>(outputs.size()), runner->targets.data(),
                static_cast<int>(runner->targets.size()), nullptr, status.status);
  if (TF_GetCode(status.status) != TF_OK) {
    cleanup();
    status.Throw("run");
  }
  napi_value out;
  Check(napi_create_array_with_length(env, outputs.size(), &out), "array");
  for (size_t i = 0; i < outputs.size(); i++) {
    TF_DataType dtype = TF_TensorType(outputs[i]);
    if (dtype != TF_FLOAT && dtype != TF_INT32) {
      cleanup();
      throw Failure("only float32 and int32 results can be fetched");
    }
    size_t bytes = TF_TensorByteSize(outputs[i]);
    void* data = nullptr;
    napi_value buffer;
    napi_value typed;
    Check(napi_create_arraybuffer(env, bytes, &data, &buffer), "arraybuffer");
    if (bytes > 0) std::memcpy(data, TF_TensorData(outputs[i]), bytes);
    Check(napi_create_typedarray(env, dtype == TF_FLOAT ? napi_float32_array : napi_int32_array, bytes / 4, buffer, 0, &typed),
          "typed array");
    Check(napi_set_element(env, out, static_cast<uint32_t>(i), typed), "set");
  }
  cleanup();
  return out;
}

napi_value Version(napi_env env, napi_callback_info) {
  napi_value out;
  Check(napi_create_string_utf8(env, TF_Version(), NAPI_AUTO_LENGTH, &out), "string");
  return out;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"newGraph", nullptr, Guarded<NewGraph>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"addOperation", nullptr, Guarded<AddOperation>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"numOutputs", nullptr, Guarded<NumOutputs>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"addGradients", nullptr, Guarded<AddGradients>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"newSession", nullptr, Guarded<NewSession>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"closeSession", nullptr, Guarded<CloseSession>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"prepare", nullptr, Guarded<Prepare>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"run", nullptr, Guarded<Run>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"version", nullptr, Guarded<Version>, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)

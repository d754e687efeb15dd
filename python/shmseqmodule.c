/* SPDX-License-Identifier: MIT */
/* shmseqmodule.c — the Python module `shmseq`: libshmseq's connections,
 * sequence handles and SQL results as Python objects.
 *
 * The fast path is Sequence.nextval(): METH_NOARGS, the GIL kept, no
 * allocation beyond the int it returns (shmseq_seq_nextval() is one atomic
 * fetch-and-add while the sequence's window lasts). Every call that goes by
 * name or may have to wait on the daemon (connect, execute, sequence,
 * nextval/lastval/setval by name, the DDL calls, status) runs with the GIL
 * released. A connection belongs to the process that made it (as the C
 * library says): in a forked child every call on an inherited connection or
 * handle raises InterfaceError, and the child connects anew. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <shmseq.h>

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
/* a PyCFunction of another signature, as the C API's documentation casts it */
#define PYFN(f) ((PyCFunction)(void (*)(void))(f))

/* ---- fork ---------------------------------------------------------------- */

/* Bumped in every child of fork() (pthread_atfork: os.fork(), multiprocessing,
 * subprocess's fork): a connection made under another generation belongs to
 * an ancestor. One load and one compare on the fast path, no getpid(). */
static volatile unsigned fork_generation;

static void after_fork_child(void)
{
	fork_generation++;
}

/* ---- errors --------------------------------------------------------------- */

static PyObject *Error, *InterfaceError, *OperationalError, *ProgrammingError, *RunOut, *UnknownSequence,
	*SequenceExists, *InvalidOptions;

/* SQLSTATE of the MariaDB error numbers the typed calls return (as the SQL
 * results carry them). */
static const char *sqlstate_of(int code)
{
	switch (code) {
	case SHMSEQ_ERR_TABLE_EXISTS:
		return "42S01";
	case SHMSEQ_ERR_PARSE:
	case SHMSEQ_ERR_NONUNIQ_TABLE:
	case SHMSEQ_ERR_BAD_DB:
		return "42000";
	case SHMSEQ_ERR_NO_SUCH_TABLE:
	case SHMSEQ_ERR_NOT_SEQUENCE:
	case SHMSEQ_ERR_UNKNOWN_SEQUENCE:
		return "42S02";
	case SHMSEQ_ERR_CON_COUNT:
		return "08004";
	default:
		return "HY000";
	}
}

/* The class of a negative return value. */
static PyObject *class_of(int rc)
{
	switch (-rc) {
	case SHMSEQ_ERR_RUN_OUT:
		return RunOut;
	case SHMSEQ_ERR_UNKNOWN_SEQUENCE:
		return UnknownSequence;
	case SHMSEQ_ERR_TABLE_EXISTS:
		return SequenceExists;
	case SHMSEQ_ERR_INVALID_DATA:
		return InvalidOptions;
	case SHMSEQ_ERR_CON_COUNT:
		return OperationalError;
	case EINVAL:
		return ProgrammingError;
	default:
		return -rc >= 1000 ? ProgrammingError : OperationalError;
	}
}

/* Raise the exception for rc (negative) with MariaDB's code, SQLSTATE and
 * message: exc.args is (code, sqlstate, message); exc.code is the MariaDB
 * error number (None for a system error), exc.errno the system error number
 * (None for a MariaDB error), exc.sqlstate and exc.message as named. */
static PyObject *raise_full(int rc, const char *sqlstate, const char *message)
{
	PyObject *cls = class_of(rc);
	bool sys = -rc < 1000;
	if (!sqlstate)
		sqlstate = sys ? "HY000" : sqlstate_of(-rc);
	if (!message)
		message = shmseq_strerror(rc);
	PyObject *code = sys ? Py_NewRef(Py_None) : PyLong_FromLong(-rc);
	/* a message may quote the statement cut at a byte count: never fail on
	 * a split UTF-8 character */
	PyObject *text = PyUnicode_DecodeUTF8(message, (Py_ssize_t)strlen(message), "replace");
	PyObject *exc = code && text ? PyObject_CallFunction(cls, "OsO", code, sqlstate, text) : NULL;
	Py_XDECREF(text);
	if (exc) {
		PyObject *no = sys ? PyLong_FromLong(-rc) : Py_NewRef(Py_None);
		if (!no || PyObject_SetAttrString(exc, "errno", no) < 0) {
			Py_CLEAR(exc);
		}
		Py_XDECREF(no);
	}
	Py_XDECREF(code);
	if (exc) {
		PyErr_SetObject(cls, exc);
		Py_DECREF(exc);
	}
	return NULL;
}

/* An error of the module's own (no MariaDB code): cls(None, "HY000", text). */
static PyObject *raise_msg(PyObject *cls, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	PyObject *text = PyUnicode_FromFormatV(fmt, ap);
	va_end(ap);
	if (!text)
		return NULL;
	PyObject *exc = PyObject_CallFunction(cls, "OsO", Py_None, "HY000", text);
	Py_DECREF(text);
	if (exc) {
		PyErr_SetObject(cls, exc);
		Py_DECREF(exc);
	}
	return NULL;
}

static PyObject *raise_rc(int rc)
{
	return raise_full(rc, NULL, NULL);
}

/* raise_rc() for a call about one sequence: MariaDB's message names it where
 * MariaDB's does (4091: "Unknown SEQUENCE: 'name'"). */
static PyObject *raise_named(int rc, const char *name)
{
	if (rc == -SHMSEQ_ERR_UNKNOWN_SEQUENCE && name) {
		PyObject *m = PyUnicode_FromFormat("Unknown SEQUENCE: '%s'", name);
		if (!m)
			return NULL;
		const char *t = PyUnicode_AsUTF8(m);
		if (t)
			raise_full(rc, NULL, t);
		Py_DECREF(m);
		return NULL;
	}
	return raise_rc(rc);
}

/* ---- objects ----------------------------------------------------------------- */

typedef struct {
	PyObject_HEAD shmseq *c; /* NULL once closed */
	unsigned gen;		 /* fork_generation at connect */
	unsigned busy;		 /* calls running without the GIL */
	PyObject *instance;
} ConnObject;

typedef struct {
	PyObject_HEAD shmseq_seq *h; /* NULL once closed */
	ConnObject *conn;
	PyObject *name; /* str */
	char *cname;	/* its UTF-8, for LASTVAL */
	uint64_t lease; /* 0: a plain handle */
} SeqObject;

typedef struct {
	PyObject_HEAD shmseq_result *head; /* the chain; NULL once closed */
	const shmseq_result *cur;	   /* the statement being read */
	size_t row;			   /* the next row to hand out */
} ResultObject;

static PyTypeObject ConnType, SeqType, ResultType;

/* A connection usable from this process, else the exception. */
static int conn_check(ConnObject *self)
{
	if (unlikely(!self->c)) {
		raise_msg(InterfaceError, "the connection is closed");
		return -1;
	}
	if (unlikely(self->gen != fork_generation)) {
		raise_msg(InterfaceError,
			  "the connection belongs to the parent process: after fork() connect "
			  "anew with shmseq.connect()");
		return -1;
	}
	return 0;
}

/* Run a call without the GIL: `busy` keeps close() from pulling the
 * connection away meanwhile (the C library wants no other thread on a
 * connection being disconnected). */
#define WITHOUT_GIL(self, stmt)                                                                              \
	do {                                                                                                 \
		(self)->busy++;                                                                              \
		PyThreadState *ts_ = PyEval_SaveThread();                                                    \
		stmt;                                                                                        \
		PyEval_RestoreThread(ts_);                                                                   \
		(self)->busy--;                                                                              \
	} while (0)

/* A value as Python sees it: an unsigned sequence's values are the uint64_t
 * bit pattern (only negative ones differ). */
static PyObject *value_obj(int64_t v, bool is_unsigned)
{
	if (v < 0 && is_unsigned)
		return PyLong_FromUnsignedLongLong((unsigned long long)v);
	return PyLong_FromLongLong(v);
}

/* Whether `name` is an unsigned sequence: asked only of negative values
 * drawn by name (a handle knows; a name is resolved once more). Called with
 * the GIL; the resolution is local unless the name is new to the session. */
static bool name_unsigned(shmseq *c, const char *name)
{
	shmseq_seq *h;
	if (shmseq_seq_open(c, name, &h) < 0)
		return false;
	bool u = shmseq_seq_is_unsigned(h);
	shmseq_seq_close(h);
	return u;
}

/* A Python int in [-2^63, 2^64) as the int64_t the C API takes (an unsigned
 * value above INT64_MAX travels as its bit pattern). */
static int int64_arg(PyObject *o, int64_t *out)
{
	int overflow;
	long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
	if (v == -1 && PyErr_Occurred())
		return -1;
	if (overflow > 0) {
		unsigned long long u = PyLong_AsUnsignedLongLong(o);
		if (u == (unsigned long long)-1 && PyErr_Occurred())
			return -1;
		*out = (int64_t)u;
		return 0;
	}
	if (overflow < 0) {
		PyErr_SetString(PyExc_OverflowError, "value below -2**63");
		return -1;
	}
	*out = v;
	return 0;
}

/* A count for nextval_n(): 1 .. SHMSEQ_BATCH_MAX. */
static int count_arg(PyObject *o, uint64_t *out)
{
	long long n = PyLong_AsLongLong(o);
	if (n == -1 && PyErr_Occurred())
		return -1;
	if (n < 1 || (unsigned long long)n > SHMSEQ_BATCH_MAX) {
		PyErr_Format(PyExc_ValueError, "n must be 1 to %u", SHMSEQ_BATCH_MAX);
		return -1;
	}
	*out = (uint64_t)n;
	return 0;
}

/* range(first, first + got*step, step) for a batch of got values starting at
 * first; the step is read back from LASTVAL (the batch's last value): the
 * caller holds the GIL across the draw and this, so no other Python thread
 * draws on the connection between them. */
static PyObject *batch_range(shmseq *c, const char *name, int64_t first, uint64_t got, bool is_unsigned)
{
	PyObject *start = value_obj(first, is_unsigned);
	if (!start)
		return NULL;
	PyObject *step = NULL, *stop = NULL, *res = NULL;
	if (got == 1) {
		step = PyLong_FromLong(1);
	} else {
		int64_t last;
		int rc = shmseq_lastval(c, name, &last);
		if (rc < 0) {
			raise_named(rc, name);
			goto out;
		}
		__int128 span = is_unsigned ? (__int128)(uint64_t)last - (__int128)(uint64_t)first
					    : (__int128)last - (__int128)first;
		if (span == 0 || span % (__int128)(got - 1) != 0) {
			raise_msg(Error,
				  "a batch of %llu values of '%s' from %lld ended at %lld: not evenly spaced",
				  (unsigned long long)got, name, (long long)first, (long long)last);
			goto out;
		}
		step = PyLong_FromLongLong((long long)(span / (__int128)(got - 1)));
	}
	if (!step)
		goto out;
	PyObject *g = PyLong_FromUnsignedLongLong(got);
	PyObject *len = g ? PyNumber_Multiply(g, step) : NULL;
	Py_XDECREF(g);
	stop = len ? PyNumber_Add(start, len) : NULL;
	Py_XDECREF(len);
	if (stop)
		res = PyObject_CallFunctionObjArgs((PyObject *)&PyRange_Type, start, stop, step, NULL);
out:
	Py_XDECREF(start);
	Py_XDECREF(step);
	Py_XDECREF(stop);
	return res;
}

/* The UTF-8 of a str argument the C API takes as a C string: a str with a NUL
 * in it would be cut short there, so it is refused. */
static const char *cstr_arg(PyObject *o, const char *what)
{
	if (!PyUnicode_Check(o)) {
		PyErr_Format(PyExc_TypeError, "%s must be a str, not %.100s", what, Py_TYPE(o)->tp_name);
		return NULL;
	}
	Py_ssize_t len;
	const char *t = PyUnicode_AsUTF8AndSize(o, &len);
	if (t && strlen(t) != (size_t)len) {
		PyErr_Format(PyExc_ValueError, "%s contains a NUL character", what);
		return NULL;
	}
	return t;
}

/* ---- Sequence --------------------------------------------------------------------- */

static int seq_check(SeqObject *self)
{
	if (unlikely(!self->h)) {
		raise_msg(InterfaceError, "the sequence handle is closed");
		return -1;
	}
	return conn_check(self->conn);
}

static PyObject *seq_nextval_slow(SeqObject *self, int rc, int64_t v)
{
	if (rc < 0)
		return raise_named(rc, self->cname);
	return value_obj(v, shmseq_seq_is_unsigned(self->h));
}

static PyObject *Seq_nextval(SeqObject *self, PyObject *Py_UNUSED(ignored))
{
	ConnObject *conn = self->conn;
	int64_t v;
	if (unlikely(!self->h || !conn->c || conn->gen != fork_generation)) {
		seq_check(self);
		return NULL;
	}
	int rc = shmseq_seq_nextval(self->h, &v);
	if (likely(rc == 0 && v >= 0))
		return PyLong_FromLongLong(v);
	return seq_nextval_slow(self, rc, v);
}

static PyObject *Seq_nextval_n(SeqObject *self, PyObject *arg)
{
	uint64_t n, got;
	int64_t first;
	if (seq_check(self) < 0 || count_arg(arg, &n) < 0)
		return NULL;
	int rc = shmseq_seq_nextval_n(self->h, n, &first, &got);
	if (rc < 0)
		return raise_named(rc, self->cname);
	return batch_range(self->conn->c, self->cname, first, got, shmseq_seq_is_unsigned(self->h));
}

static void seq_release(SeqObject *self)
{
	/* after a fork the child may only disconnect its copy of the parent's
	 * connection (which closes the handles): nothing is closed one by one;
	 * a closed connection closed its handles already */
	if (self->h && self->conn && self->conn->c && self->conn->gen == fork_generation)
		shmseq_seq_close(self->h);
	self->h = NULL;
}

static PyObject *Seq_close(SeqObject *self, PyObject *Py_UNUSED(ignored))
{
	seq_release(self);
	Py_RETURN_NONE;
}

static PyObject *Seq_enter(SeqObject *self, PyObject *Py_UNUSED(ignored))
{
	if (seq_check(self) < 0)
		return NULL;
	return Py_NewRef(self);
}

static PyObject *Seq_exit(SeqObject *self, PyObject *Py_UNUSED(args))
{
	seq_release(self);
	Py_RETURN_FALSE;
}

static PyObject *Seq_get_unsigned(SeqObject *self, void *Py_UNUSED(closure))
{
	if (seq_check(self) < 0)
		return NULL;
	return PyBool_FromLong(shmseq_seq_is_unsigned(self->h));
}

static PyObject *Seq_get_closed(SeqObject *self, void *Py_UNUSED(closure))
{
	return PyBool_FromLong(!self->h || !self->conn->c);
}

static PyObject *Seq_get_lease(SeqObject *self, void *Py_UNUSED(closure))
{
	if (!self->lease)
		Py_RETURN_NONE;
	return PyLong_FromUnsignedLongLong(self->lease);
}

static PyObject *Seq_repr(SeqObject *self)
{
	return PyUnicode_FromFormat("<shmseq.Sequence %R%s>", self->name,
				    !self->h || !self->conn->c ? " (closed)" : "");
}

static void Seq_dealloc(SeqObject *self)
{
	seq_release(self);
	Py_XDECREF(self->conn);
	Py_XDECREF(self->name);
	PyMem_Free(self->cname);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Seq_methods[] = {
	{"nextval", (PyCFunction)Seq_nextval, METH_NOARGS,
	 "nextval() -> int\n\nNEXTVAL: the sequence's next value. The fast path: one atomic fetch-and-add on "
	 "shared memory while the sequence's window lasts; the GIL is kept (a refill of the window, once per "
	 "CACHE values, is a round trip to the daemon). A leased handle serves each thread from a block of "
	 "its own."},
	{"nextval_n", (PyCFunction)Seq_nextval_n, METH_O,
	 "nextval_n(n) -> range\n\nUp to n consecutive values (1 <= n <= 1,000,000) with one fetch-and-add, "
	 "as a range object: the values of a batch are always evenly spaced (the sequence's INCREMENT). "
	 "Fewer than n at the end of a round or while the sequence is being changed (at least one). LASTVAL "
	 "becomes the last of them."},
	{"close", (PyCFunction)Seq_close, METH_NOARGS, "close()\n\nRelease the handle (idempotent)."},
	{"__enter__", (PyCFunction)Seq_enter, METH_NOARGS, NULL},
	{"__exit__", (PyCFunction)Seq_exit, METH_VARARGS, NULL},
	{NULL},
};

static PyMemberDef Seq_members[] = {
	{"name", T_OBJECT, offsetof(SeqObject, name), READONLY, "The sequence's name."},
	{"connection", T_OBJECT, offsetof(SeqObject, conn), READONLY, "The connection it was opened on."},
	{NULL},
};

static PyGetSetDef Seq_getset[] = {
	{"unsigned", (getter)Seq_get_unsigned, NULL,
	 "Whether the sequence has unsigned values (AS ... UNSIGNED); values are returned as Python ints "
	 "either way.",
	 NULL},
	{"closed", (getter)Seq_get_closed, NULL, "Whether the handle (or its connection) is closed.", NULL},
	{"lease", (getter)Seq_get_lease, NULL, "The block size of a leased handle, else None.", NULL},
	{NULL},
};

static PyTypeObject SeqType = {
	PyVarObject_HEAD_INIT(NULL, 0).tp_name = "shmseq.Sequence",
	.tp_basicsize = sizeof(SeqObject),
	.tp_dealloc = (destructor)Seq_dealloc,
	.tp_repr = (reprfunc)Seq_repr,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "A sequence opened once for hot loops: Connection.sequence(name) makes one.\n\n"
		  "The handle follows the name: if the sequence is dropped and created again, it serves the "
		  "new one. Usable from several threads at once. A context manager (closes on exit).",
	.tp_methods = Seq_methods,
	.tp_members = Seq_members,
	.tp_getset = Seq_getset,
};

/* ---- Result ------------------------------------------------------------------------ */

static int result_check(ResultObject *self)
{
	if (!self->head) {
		raise_msg(InterfaceError, "the result is closed");
		return -1;
	}
	return 0;
}

/* A cell: None for NULL; an int or float in a numeric column when the text is
 * one; else str. */
static PyObject *cell_obj(const shmseq_result *r, size_t row, size_t col)
{
	const char *t = shmseq_result_value(r, row, col);
	if (!t)
		Py_RETURN_NONE;
	if (shmseq_result_column_numeric(r, col)) {
		char *end;
		PyObject *v = PyLong_FromString(t, &end, 10);
		if (v && *end == '\0')
			return v;
		Py_XDECREF(v);
		PyErr_Clear();
		PyObject *s = PyUnicode_FromString(t);
		if (!s)
			return NULL;
		v = PyFloat_FromString(s);
		if (v) {
			Py_DECREF(s);
			return v;
		}
		PyErr_Clear();
		return s;
	}
	return PyUnicode_DecodeUTF8(t, (Py_ssize_t)strlen(t), "surrogateescape");
}

static PyObject *row_obj(const shmseq_result *r, size_t row)
{
	size_t n = shmseq_result_columns(r);
	PyObject *t = PyTuple_New((Py_ssize_t)n);
	if (!t)
		return NULL;
	for (size_t c = 0; c < n; c++) {
		PyObject *v = cell_obj(r, row, c);
		if (!v) {
			Py_DECREF(t);
			return NULL;
		}
		PyTuple_SET_ITEM(t, (Py_ssize_t)c, v);
	}
	return t;
}

static PyObject *Result_iter(ResultObject *self)
{
	if (result_check(self) < 0)
		return NULL;
	return Py_NewRef(self);
}

static PyObject *Result_iternext(ResultObject *self)
{
	if (result_check(self) < 0)
		return NULL;
	if (!shmseq_result_has_rows(self->cur) || self->row >= shmseq_result_rows(self->cur))
		return NULL;
	return row_obj(self->cur, self->row++);
}

static PyObject *Result_fetchone(ResultObject *self, PyObject *Py_UNUSED(ignored))
{
	PyObject *r = Result_iternext(self);
	if (!r && !PyErr_Occurred())
		Py_RETURN_NONE;
	return r;
}

static PyObject *Result_fetchall(ResultObject *self, PyObject *Py_UNUSED(ignored))
{
	if (result_check(self) < 0)
		return NULL;
	PyObject *l = PyList_New(0);
	PyObject *r;
	while (l && (r = Result_iternext(self))) {
		int e = PyList_Append(l, r);
		Py_DECREF(r);
		if (e < 0)
			Py_CLEAR(l);
	}
	if (PyErr_Occurred())
		Py_CLEAR(l);
	return l;
}

static PyObject *Result_nextset(ResultObject *self, PyObject *Py_UNUSED(ignored))
{
	if (result_check(self) < 0)
		return NULL;
	const shmseq_result *n = shmseq_result_next(self->cur);
	if (!n)
		Py_RETURN_FALSE;
	self->cur = n;
	self->row = 0;
	Py_RETURN_TRUE;
}

static void result_release(ResultObject *self)
{
	shmseq_result_free(self->head);
	self->head = NULL;
	self->cur = NULL;
}

static PyObject *Result_close(ResultObject *self, PyObject *Py_UNUSED(ignored))
{
	result_release(self);
	Py_RETURN_NONE;
}

static PyObject *Result_enter(ResultObject *self, PyObject *Py_UNUSED(ignored))
{
	if (result_check(self) < 0)
		return NULL;
	return Py_NewRef(self);
}

static PyObject *Result_exit(ResultObject *self, PyObject *Py_UNUSED(args))
{
	result_release(self);
	Py_RETURN_FALSE;
}

static PyObject *Result_get_columns(ResultObject *self, void *Py_UNUSED(closure))
{
	if (result_check(self) < 0)
		return NULL;
	if (!shmseq_result_has_rows(self->cur))
		Py_RETURN_NONE;
	size_t n = shmseq_result_columns(self->cur);
	PyObject *t = PyTuple_New((Py_ssize_t)n);
	for (size_t c = 0; t && c < n; c++) {
		PyObject *s = PyUnicode_DecodeUTF8(
			shmseq_result_column_name(self->cur, c),
			(Py_ssize_t)strlen(shmseq_result_column_name(self->cur, c)), "surrogateescape");
		if (!s) {
			Py_CLEAR(t);
			break;
		}
		PyTuple_SET_ITEM(t, (Py_ssize_t)c, s);
	}
	return t;
}

static PyObject *Result_get_rowcount(ResultObject *self, void *Py_UNUSED(closure))
{
	if (result_check(self) < 0)
		return NULL;
	if (!shmseq_result_has_rows(self->cur))
		return PyLong_FromLong(-1);
	return PyLong_FromSize_t(shmseq_result_rows(self->cur));
}

static PyObject *Result_get_statement(ResultObject *self, void *Py_UNUSED(closure))
{
	if (result_check(self) < 0)
		return NULL;
	const char *s = shmseq_result_statement(self->cur);
	return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "surrogateescape");
}

static PyObject *Result_get_warnings(ResultObject *self, void *Py_UNUSED(closure))
{
	if (result_check(self) < 0)
		return NULL;
	size_t n = shmseq_result_warnings(self->cur);
	PyObject *l = PyList_New((Py_ssize_t)n);
	for (size_t i = 0; l && i < n; i++) {
		const char *level = "";
		int code = 0;
		const char *msg = shmseq_result_warning(self->cur, i, &level, &code);
		PyObject *t = Py_BuildValue("(sis)", level ? level : "", code, msg ? msg : "");
		if (!t) {
			Py_CLEAR(l);
			break;
		}
		PyList_SET_ITEM(l, (Py_ssize_t)i, t);
	}
	return l;
}

static void Result_dealloc(ResultObject *self)
{
	result_release(self);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Result_methods[] = {
	{"fetchone", (PyCFunction)Result_fetchone, METH_NOARGS,
	 "fetchone() -> tuple | None\n\nThe next row of the current statement, or None."},
	{"fetchall", (PyCFunction)Result_fetchall, METH_NOARGS,
	 "fetchall() -> list[tuple]\n\nThe remaining rows of the current statement."},
	{"nextset", (PyCFunction)Result_nextset, METH_NOARGS,
	 "nextset() -> bool\n\nMove on to the next statement's result (execute() ran several statements "
	 "separated by ';'); False when this was the last."},
	{"close", (PyCFunction)Result_close, METH_NOARGS, "close()\n\nFree the result (idempotent)."},
	{"__enter__", (PyCFunction)Result_enter, METH_NOARGS, NULL},
	{"__exit__", (PyCFunction)Result_exit, METH_VARARGS, NULL},
	{NULL},
};

static PyGetSetDef Result_getset[] = {
	{"columns", (getter)Result_get_columns, NULL,
	 "The column names of the current statement's result set (a tuple), or None when it has none.", NULL},
	{"rowcount", (getter)Result_get_rowcount, NULL,
	 "The number of rows of the current statement's result set; -1 when it has none.", NULL},
	{"statement", (getter)Result_get_statement, NULL, "The text of the current statement.", NULL},
	{"warnings", (getter)Result_get_warnings, NULL,
	 "The current statement's notes and warnings: a list of (level, code, message).", NULL},
	{NULL},
};

static PyTypeObject ResultType = {
	PyVarObject_HEAD_INIT(NULL, 0).tp_name = "shmseq.Result",
	.tp_basicsize = sizeof(ResultObject),
	.tp_dealloc = (destructor)Result_dealloc,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "What Connection.execute() returns: cursor-like. Iterating gives the rows of the current "
		  "statement as tuples (int for numeric cells, str for text, None for NULL); .columns names "
		  "them; .nextset() moves to the next statement. A context manager (frees on exit).",
	.tp_iter = (getiterfunc)Result_iter,
	.tp_iternext = (iternextfunc)Result_iternext,
	.tp_methods = Result_methods,
	.tp_getset = Result_getset,
};

/* ---- Connection ---------------------------------------------------------------------- */

static PyObject *Conn_execute(ConnObject *self, PyObject *arg)
{
	if (conn_check(self) < 0)
		return NULL;
	const char *sql = cstr_arg(arg, "the SQL text");
	if (!sql)
		return NULL;
	shmseq_result *res = NULL;
	int rc;
	WITHOUT_GIL(self, rc = shmseq_exec(self->c, sql, &res));
	if (rc < 0)
		return raise_rc(rc);
	for (const shmseq_result *r = res; r; r = shmseq_result_next(r)) {
		int e = shmseq_result_error(r);
		if (e < 0) {
			raise_full(e, shmseq_result_sqlstate(r), shmseq_result_message(r));
			shmseq_result_free(res);
			return NULL;
		}
	}
	ResultObject *ro = PyObject_New(ResultObject, &ResultType);
	if (!ro) {
		shmseq_result_free(res);
		return NULL;
	}
	ro->head = res;
	ro->cur = res;
	ro->row = 0;
	return (PyObject *)ro;
}

static PyObject *Conn_sequence(ConnObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = {"name", "lease", NULL};
	PyObject *name, *lease_o = Py_None;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "U|O:sequence", kwlist, &name, &lease_o))
		return NULL;
	if (conn_check(self) < 0)
		return NULL;
	uint64_t lease = 0;
	if (lease_o != Py_None) {
		long long l = PyLong_AsLongLong(lease_o);
		if (l == -1 && PyErr_Occurred())
			return NULL;
		if (l < 1 || (unsigned long long)l > SHMSEQ_BATCH_MAX) {
			PyErr_Format(PyExc_ValueError, "lease must be 1 to %u", SHMSEQ_BATCH_MAX);
			return NULL;
		}
		lease = (uint64_t)l;
	}
	Py_ssize_t len;
	const char *cname = cstr_arg(name, "the sequence's name");
	if (!cname)
		return NULL;
	len = (Py_ssize_t)strlen(cname);
	SeqObject *so = PyObject_New(SeqObject, &SeqType);
	if (!so)
		return NULL;
	so->h = NULL;
	so->conn = (ConnObject *)Py_NewRef(self);
	so->name = Py_NewRef(name);
	so->lease = lease;
	so->cname = PyMem_Malloc((size_t)len + 1);
	if (!so->cname) {
		Py_DECREF(so);
		return PyErr_NoMemory();
	}
	memcpy(so->cname, cname, (size_t)len + 1);
	shmseq_seq *h = NULL;
	int rc;
	WITHOUT_GIL(self, rc = lease ? shmseq_seq_open_leased(self->c, so->cname, lease, &h)
				     : shmseq_seq_open(self->c, so->cname, &h));
	if (rc < 0) {
		raise_named(rc, so->cname);
		Py_DECREF(so);
		return NULL;
	}
	so->h = h;
	return (PyObject *)so;
}

static PyObject *Conn_nextval(ConnObject *self, PyObject *arg)
{
	if (conn_check(self) < 0)
		return NULL;
	const char *name = cstr_arg(arg, "the sequence's name");
	if (!name)
		return NULL;
	int64_t v;
	int rc;
	WITHOUT_GIL(self, rc = shmseq_nextval(self->c, name, &v));
	if (rc < 0)
		return raise_named(rc, name);
	return value_obj(v, v < 0 && name_unsigned(self->c, name));
}

static PyObject *Conn_nextval_n(ConnObject *self, PyObject *args)
{
	const char *name;
	PyObject *n_o;
	uint64_t n, got;
	int64_t first;
	if (!PyArg_ParseTuple(args, "sO:nextval_n", &name, &n_o) || conn_check(self) < 0 ||
	    count_arg(n_o, &n) < 0)
		return NULL;
	/* with the GIL: the batch and the LASTVAL that gives its step */
	int rc = shmseq_nextval_n(self->c, name, n, &first, &got);
	if (rc < 0)
		return raise_named(rc, name);
	bool u = false;
	if (first < 0 || got > 1)
		u = name_unsigned(self->c, name);
	return batch_range(self->c, name, first, got, u);
}

static PyObject *Conn_lastval(ConnObject *self, PyObject *arg)
{
	if (conn_check(self) < 0)
		return NULL;
	const char *name = cstr_arg(arg, "the sequence's name");
	if (!name)
		return NULL;
	int64_t v;
	int rc;
	WITHOUT_GIL(self, rc = shmseq_lastval(self->c, name, &v));
	if (rc == -ENODATA)
		Py_RETURN_NONE;
	if (rc < 0)
		return raise_named(rc, name);
	return value_obj(v, v < 0 && name_unsigned(self->c, name));
}

static PyObject *Conn_setval(ConnObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = {"name", "value", "is_used", "round", NULL};
	const char *name;
	PyObject *value_o;
	int is_used = 1;
	unsigned long long round = 0;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "sO|pK:setval", kwlist, &name, &value_o, &is_used, &round))
		return NULL;
	if (conn_check(self) < 0)
		return NULL;
	int64_t v;
	if (int64_arg(value_o, &v) < 0)
		return NULL;
	int rc;
	WITHOUT_GIL(self, rc = shmseq_setval(self->c, name, v, is_used, round));
	if (rc == -ENODATA)
		Py_RETURN_NONE;
	if (rc < 0)
		return raise_named(rc, name);
	return Py_NewRef(value_o);
}

/* The keyword arguments of create() and alter() into a struct shmseq_def. */
static int def_from(PyObject *kw, bool alter, struct shmseq_def *d, PyObject **keep)
{
	static const struct {
		const char *key;
		unsigned bit;
		size_t off;
	} ints[] = {
		{"start", SHMSEQ_SET_START, offsetof(struct shmseq_def, start)},
		{"increment", SHMSEQ_SET_INCREMENT, offsetof(struct shmseq_def, increment)},
		{"minvalue", SHMSEQ_SET_MINVALUE, offsetof(struct shmseq_def, minvalue)},
		{"maxvalue", SHMSEQ_SET_MAXVALUE, offsetof(struct shmseq_def, maxvalue)},
		{"cache", SHMSEQ_SET_CACHE, offsetof(struct shmseq_def, cache)},
	};
	memset(d, 0, sizeof(*d));
	Py_ssize_t used = 0;
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		PyObject *o = kw ? PyDict_GetItemString(kw, ints[i].key) : NULL;
		if (!o)
			continue;
		used++;
		if (o == Py_None)
			continue;
		if (int64_arg(o, (int64_t *)((char *)d + ints[i].off)) < 0)
			return -1;
		d->set |= ints[i].bit;
	}
	PyObject *o = kw ? PyDict_GetItemString(kw, "cycle") : NULL;
	if (o) {
		used++;
		if (o != Py_None) {
			int b = PyObject_IsTrue(o);
			if (b < 0)
				return -1;
			d->cycle = b;
			d->set |= SHMSEQ_SET_CYCLE;
		}
	}
	o = kw ? PyDict_GetItemString(kw, "comment") : NULL;
	if (o) {
		used++;
		if (o != Py_None) {
			*keep = PyUnicode_AsUTF8String(o);
			if (!*keep)
				return -1;
			d->comment = PyBytes_AS_STRING(*keep);
			d->set |= SHMSEQ_SET_COMMENT;
		}
	}
	if (alter) {
		o = kw ? PyDict_GetItemString(kw, "restart") : NULL;
		if (o) {
			used++;
			if (o == Py_True) {
				d->set |= SHMSEQ_SET_RESTART_START;
			} else if (o != Py_None && o != Py_False) {
				if (int64_arg(o, &d->restart) < 0)
					return -1;
				d->set |= SHMSEQ_SET_RESTART;
			}
		}
	}
	return used;
}

static const char *const create_flags[] = {"or_replace", "if_not_exists", "temporary"};

static PyObject *Conn_create(ConnObject *self, PyObject *args, PyObject *kw)
{
	const char *name;
	if (!PyArg_ParseTuple(args, "s:create", &name) || conn_check(self) < 0)
		return NULL;
	struct shmseq_def d;
	PyObject *keep = NULL;
	int used = def_from(kw, false, &d, &keep);
	if (used < 0)
		return NULL;
	unsigned flags = 0;
	for (unsigned i = 0; i < 3; i++) {
		PyObject *o = kw ? PyDict_GetItemString(kw, create_flags[i]) : NULL;
		if (!o)
			continue;
		used++;
		int b = PyObject_IsTrue(o);
		if (b < 0) {
			Py_XDECREF(keep);
			return NULL;
		}
		if (b)
			flags |= 1u << i;
	}
	if (kw && used != PyDict_Size(kw)) {
		Py_XDECREF(keep);
		PyErr_SetString(PyExc_TypeError, "create() got an unexpected keyword argument");
		return NULL;
	}
	int rc;
	WITHOUT_GIL(self, rc = shmseq_create(self->c, name, &d, flags));
	Py_XDECREF(keep);
	if (rc < 0)
		return raise_rc(rc);
	Py_RETURN_NONE;
}

static PyObject *Conn_alter(ConnObject *self, PyObject *args, PyObject *kw)
{
	const char *name;
	if (!PyArg_ParseTuple(args, "s:alter", &name) || conn_check(self) < 0)
		return NULL;
	struct shmseq_def d;
	PyObject *keep = NULL;
	int used = def_from(kw, true, &d, &keep);
	if (used < 0)
		return NULL;
	if (kw && used != PyDict_Size(kw)) {
		Py_XDECREF(keep);
		PyErr_SetString(PyExc_TypeError, "alter() got an unexpected keyword argument");
		return NULL;
	}
	int rc;
	WITHOUT_GIL(self, rc = shmseq_alter(self->c, name, &d));
	Py_XDECREF(keep);
	if (rc < 0)
		return raise_named(rc, name);
	Py_RETURN_NONE;
}

static PyObject *Conn_drop(ConnObject *self, PyObject *args)
{
	const char *name;
	if (!PyArg_ParseTuple(args, "s:drop", &name) || conn_check(self) < 0)
		return NULL;
	int rc;
	WITHOUT_GIL(self, rc = shmseq_drop(self->c, name));
	if (rc < 0)
		return raise_named(rc, name);
	Py_RETURN_NONE;
}

static PyObject *Conn_status(ConnObject *self, PyObject *Py_UNUSED(ignored))
{
	if (conn_check(self) < 0)
		return NULL;
	struct shmseq_status st;
	int rc;
	WITHOUT_GIL(self, rc = shmseq_status(self->c, &st));
	if (rc < 0)
		return raise_rc(rc);
	return Py_BuildValue(
		"{s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:I,s:O,s:L,s:L,s:s,s:s}", "sequences",
		(unsigned long long)st.sequences, "capacity", (unsigned long long)st.capacity, "region_bytes",
		(unsigned long long)st.region_bytes, "connections", (unsigned long long)st.connections,
		"uptime_ms", (unsigned long long)st.uptime_ms, "log_bytes", (unsigned long long)st.log_bytes,
		"syncs", (unsigned long long)st.syncs, "records", (unsigned long long)st.records,
		"daemon_pid", (unsigned)st.daemon_pid, "failed", st.failed ? Py_True : Py_False,
		"auto_increment_increment", (long long)st.auto_increment_increment, "auto_increment_offset",
		(long long)st.auto_increment_offset, "region_name", st.region_name, "data_dir", st.data_dir);
}

static void conn_release(ConnObject *self)
{
	if (self->c)
		shmseq_disconnect(self->c); /* in a forked child: its copy, as allowed */
	self->c = NULL;
}

static PyObject *Conn_close(ConnObject *self, PyObject *Py_UNUSED(ignored))
{
	if (self->busy) {
		raise_msg(InterfaceError, "the connection is in use by another thread");
		return NULL;
	}
	conn_release(self);
	Py_RETURN_NONE;
}

static PyObject *Conn_enter(ConnObject *self, PyObject *Py_UNUSED(ignored))
{
	if (conn_check(self) < 0)
		return NULL;
	return Py_NewRef(self);
}

static PyObject *Conn_exit(ConnObject *self, PyObject *Py_UNUSED(args))
{
	PyObject *r = Conn_close(self, NULL);
	if (!r)
		return NULL;
	Py_DECREF(r);
	Py_RETURN_FALSE;
}

static PyObject *Conn_get_closed(ConnObject *self, void *Py_UNUSED(closure))
{
	return PyBool_FromLong(!self->c);
}

static PyObject *Conn_repr(ConnObject *self)
{
	return PyUnicode_FromFormat("<shmseq.Connection instance=%R%s>", self->instance,
				    self->c ? "" : " (closed)");
}

static void Conn_dealloc(ConnObject *self)
{
	conn_release(self);
	Py_XDECREF(self->instance);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Conn_methods[] = {
	{"execute", (PyCFunction)Conn_execute, METH_O,
	 "execute(sql) -> Result\n\nRun SQL text: one or more of MariaDB's sequence statements separated by "
	 "';'. Returns a Result (iterate it for rows). If a statement fails, raises its error (the "
	 "statements "
	 "before it took effect; those after it were not run). Runs without the GIL."},
	{"sequence", PYFN(Conn_sequence), METH_VARARGS | METH_KEYWORDS,
	 "sequence(name, lease=None) -> Sequence\n\nOpen a handle on a sequence for hot loops: "
	 "handle.nextval() is the fast path. With lease=N, each thread draws from a block of N values of "
	 "its own (unique, increasing per thread, not ordered across threads; a block's unused values are a "
	 "gap). Raises UnknownSequence when there is no such sequence."},
	{"nextval", (PyCFunction)Conn_nextval, METH_O,
	 "nextval(name) -> int\n\nNEXTVAL(name), by name (one lookup more than a handle). Runs without the "
	 "GIL."},
	{"nextval_n", (PyCFunction)Conn_nextval_n, METH_VARARGS,
	 "nextval_n(name, n) -> range\n\nUp to n consecutive values by name, as Sequence.nextval_n() (a "
	 "TEMPORARY sequence gives one value per call)."},
	{"lastval", (PyCFunction)Conn_lastval, METH_O,
	 "lastval(name) -> int | None\n\nLASTVAL(name): the value NEXTVAL last returned for the sequence on "
	 "this connection; None when there is none."},
	{"setval", PYFN(Conn_setval), METH_VARARGS | METH_KEYWORDS,
	 "setval(name, value, is_used=True, round=0) -> int | None\n\nSETVAL with MariaDB's forward-only "
	 "rule: returns value when applied, None when ignored. A round increase of a NOCYCLE sequence "
	 "raises RunOut."},
	{"create", PYFN(Conn_create), METH_VARARGS | METH_KEYWORDS,
	 "create(name, *, start=None, increment=None, minvalue=None, maxvalue=None, cache=None, cycle=None, "
	 "comment=None, or_replace=False, if_not_exists=False, temporary=False)\n\nCREATE SEQUENCE with the "
	 "options given (the others take MariaDB's defaults; cache=0 is NOCACHE). Durable when it returns. "
	 "Raises SequenceExists, InvalidOptions."},
	{"alter", PYFN(Conn_alter), METH_VARARGS | METH_KEYWORDS,
	 "alter(name, *, start=None, increment=None, minvalue=None, maxvalue=None, cache=None, cycle=None, "
	 "comment=None, restart=None)\n\nALTER SEQUENCE: the options given change; restart=True restarts at "
	 "START, restart=N at N."},
	{"drop", (PyCFunction)Conn_drop, METH_VARARGS,
	 "drop(name)\n\nDROP SEQUENCE: this connection's TEMPORARY sequence of that name if it has one, else "
	 "the sequence."},
	{"status", (PyCFunction)Conn_status, METH_NOARGS,
	 "status() -> dict\n\nWhat `shmseq status` shows: sequences, capacity, connections, uptime_ms, "
	 "daemon_pid, data_dir, ..."},
	{"close", (PyCFunction)Conn_close, METH_NOARGS,
	 "close()\n\nEnd the session: closes its handles, drops its TEMPORARY sequences (idempotent)."},
	{"__enter__", (PyCFunction)Conn_enter, METH_NOARGS, NULL},
	{"__exit__", (PyCFunction)Conn_exit, METH_VARARGS, NULL},
	{NULL},
};

static PyMemberDef Conn_members[] = {
	{"instance", T_OBJECT, offsetof(ConnObject, instance), READONLY, "The instance's name."},
	{NULL},
};

static PyGetSetDef Conn_getset[] = {
	{"closed", (getter)Conn_get_closed, NULL, "Whether close() was called.", NULL},
	{NULL},
};

static PyTypeObject ConnType = {
	PyVarObject_HEAD_INIT(NULL, 0).tp_name = "shmseq.Connection",
	.tp_basicsize = sizeof(ConnObject),
	.tp_dealloc = (destructor)Conn_dealloc,
	.tp_repr = (reprfunc)Conn_repr,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "A session with the daemon of one instance: shmseq.connect() makes one.\n\n"
		  "Usable from several threads at once. LASTVAL and TEMPORARY sequences belong to it. It "
		  "belongs to the process that made it: after fork() the child connects anew (the inherited "
		  "one raises InterfaceError). If the daemon restarts, it re-attaches by itself. A context "
		  "manager (closes on exit).",
	.tp_methods = Conn_methods,
	.tp_members = Conn_members,
	.tp_getset = Conn_getset,
};

/* ---- the module ------------------------------------------------------------------------- */

static PyObject *mod_connect(PyObject *Py_UNUSED(mod), PyObject *args, PyObject *kw)
{
	static char *kwlist[] = {"instance", NULL};
	const char *instance = NULL;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "|z:connect", kwlist, &instance))
		return NULL;
	shmseq *c = NULL;
	int rc;
	PyThreadState *ts = PyEval_SaveThread();
	rc = shmseq_connect(instance, &c);
	PyEval_RestoreThread(ts);
	if (rc < 0) {
		char why[1024];
		ts = PyEval_SaveThread();
		shmseq_connect_explain(instance, rc, why, sizeof(why));
		PyEval_RestoreThread(ts);
		return raise_full(rc, NULL, why);
	}
	ConnObject *co = PyObject_New(ConnObject, &ConnType);
	if (!co) {
		shmseq_disconnect(c);
		return NULL;
	}
	co->c = c;
	co->gen = fork_generation;
	co->busy = 0;
	co->instance = PyUnicode_FromString(shmseq_instance(c));
	if (!co->instance) {
		Py_DECREF(co);
		return NULL;
	}
	return (PyObject *)co;
}

static PyObject *mod_strerror(PyObject *Py_UNUSED(mod), PyObject *arg)
{
	int overflow;
	long e = PyLong_AsLongAndOverflow(arg, &overflow);
	if (e == -1 && PyErr_Occurred())
		return NULL;
	if (overflow || e < INT_MIN || e > INT_MAX) {
		PyErr_SetString(PyExc_OverflowError, "error number out of range");
		return NULL;
	}
	/* either sign: 4084 and -4084 are the same error */
	return PyUnicode_FromString(shmseq_strerror(e > 0 ? (int)-e : (int)e));
}

static PyMethodDef mod_methods[] = {
	{"connect", PYFN(mod_connect), METH_VARARGS | METH_KEYWORDS,
	 "connect(instance=None) -> Connection\n\nAttach to the daemon of an instance (None: "
	 "$SHMSEQ_INSTANCE, "
	 "else \"default\"); its socket is looked up in $SHMSEQ_RUNTIME_DIR, else $XDG_RUNTIME_DIR/shmseq, "
	 "else /tmp/shmseq-<uid>. Raises OperationalError (with .errno and a sentence saying why) when there "
	 "is no daemon or it is not trusted, ProgrammingError for a bad instance name."},
	{"strerror", (PyCFunction)mod_strerror, METH_O,
	 "strerror(code) -> str\n\nThe library's text for an error number (MariaDB's, e.g. 4084, or a "
	 "system errno)."},
	{NULL},
};

static int add_exc(PyObject *m, PyObject **slot, const char *name, PyObject *base, const char *doc)
{
	char full[64];
	snprintf(full, sizeof(full), "shmseq.%s", name);
	*slot = PyErr_NewExceptionWithDoc(full, doc, base, NULL);
	if (!*slot)
		return -1;
	return PyModule_AddObjectRef(m, name, *slot);
}

/* Error.__init__(code, sqlstate, message): the attributes, and str() the
 * message with its code. Python-level so subclasses and pickling work. */
static const char error_src[] =
	"def __init__(self, code=None, sqlstate='HY000', message=''):\n"
	"    Exception.__init__(self, code, sqlstate, message)\n"
	"    self.code = code\n"
	"    self.sqlstate = sqlstate\n"
	"    self.message = message\n"
	"    self.errno = None\n"
	"def __str__(self):\n"
	"    if self.code is not None:\n"
	"        return '(%d, %s) %s' % (self.code, self.sqlstate, self.message)\n"
	"    if self.errno is not None:\n"
	"        return '[errno %d] %s' % (self.errno, self.message)\n"
	"    return str(self.message)\n"
	"def __reduce__(self):\n"
	"    return (type(self), (self.code, self.sqlstate, self.message), {'errno': self.errno})\n";

static int error_methods(PyObject *cls)
{
	PyObject *ns = PyDict_New();
	if (!ns)
		return -1;
	int rc = -1;
	PyObject *b = PyEval_GetBuiltins();
	if (PyDict_SetItemString(ns, "__builtins__", b) < 0)
		goto out;
	PyObject *r = PyRun_String(error_src, Py_file_input, ns, ns);
	if (!r)
		goto out;
	Py_DECREF(r);
	static const char *const names[] = {"__init__", "__str__", "__reduce__"};
	for (int i = 0; i < 3; i++) {
		PyObject *f = PyDict_GetItemString(ns, names[i]);
		if (!f || PyObject_SetAttrString(cls, names[i], f) < 0)
			goto out;
	}
	rc = 0;
out:
	Py_DECREF(ns);
	return rc;
}

static int mod_exec(PyObject *m)
{
	if (PyType_Ready(&ConnType) < 0 || PyType_Ready(&SeqType) < 0 || PyType_Ready(&ResultType) < 0)
		return -1;
	if (PyModule_AddObjectRef(m, "Connection", (PyObject *)&ConnType) < 0 ||
	    PyModule_AddObjectRef(m, "Sequence", (PyObject *)&SeqType) < 0 ||
	    PyModule_AddObjectRef(m, "Result", (PyObject *)&ResultType) < 0)
		return -1;
	if (add_exc(m, &Error, "Error", PyExc_Exception,
		    "The base of shmseq's exceptions: .code (MariaDB's error number, or None for a system "
		    "error), .sqlstate, .message, .errno (the system error number, or None).") < 0 ||
	    error_methods(Error) < 0 ||
	    add_exc(m, &InterfaceError, "InterfaceError", Error,
		    "The module misused: a closed connection, handle or result; a connection inherited "
		    "through fork().") < 0 ||
	    add_exc(m, &OperationalError, "OperationalError", Error,
		    "A system error (.errno): no daemon, the daemon restarting or not answering "
		    "(ECONNREFUSED, "
		    "ECONNRESET, ETIMEDOUT), a daemon not trusted (EPERM), EIO, ... and 1040 (too many "
		    "sessions).") < 0 ||
	    add_exc(m, &ProgrammingError, "ProgrammingError", Error,
		    "A statement or an argument at fault: a syntax error (1064), a bad name, MariaDB's other "
		    "errors.") < 0 ||
	    add_exc(m, &RunOut, "RunOut", Error, "4084: a NOCYCLE sequence has run out.") < 0 ||
	    add_exc(m, &UnknownSequence, "UnknownSequence", ProgrammingError, "4091: no such sequence.") <
		    0 ||
	    add_exc(m, &SequenceExists, "SequenceExists", ProgrammingError,
		    "1050: CREATE of a name that exists.") < 0 ||
	    add_exc(m, &InvalidOptions, "InvalidOptions", ProgrammingError,
		    "4085: sequence options out of range or conflicting.") < 0)
		return -1;
	if (PyModule_AddIntConstant(m, "BATCH_MAX", SHMSEQ_BATCH_MAX) < 0 ||
	    PyModule_AddIntConstant(m, "ER_RUN_OUT", SHMSEQ_ERR_RUN_OUT) < 0 ||
	    PyModule_AddIntConstant(m, "ER_UNKNOWN_SEQUENCE", SHMSEQ_ERR_UNKNOWN_SEQUENCE) < 0 ||
	    PyModule_AddIntConstant(m, "ER_TABLE_EXISTS", SHMSEQ_ERR_TABLE_EXISTS) < 0 ||
	    PyModule_AddIntConstant(m, "ER_INVALID_DATA", SHMSEQ_ERR_INVALID_DATA) < 0 ||
	    PyModule_AddIntConstant(m, "ER_PARSE", SHMSEQ_ERR_PARSE) < 0)
		return -1;
	static int atfork_done;
	if (!atfork_done) {
		if (pthread_atfork(NULL, NULL, after_fork_child) != 0) {
			PyErr_SetString(PyExc_RuntimeError, "pthread_atfork failed");
			return -1;
		}
		atfork_done = 1;
	}
	return 0;
}

static PyModuleDef_Slot mod_slots[] = {
	{Py_mod_exec, mod_exec},
	{0, NULL},
};

static struct PyModuleDef shmseq_module = {
	PyModuleDef_HEAD_INIT,
	.m_name = "shmseq",
	.m_doc = "MariaDB-style SEQUENCEs shared by the processes of one machine at shared-memory speed.\n\n"
		 "    import shmseq\n"
		 "    db = shmseq.connect()\n"
		 "    db.execute(\"CREATE SEQUENCE IF NOT EXISTS orders CACHE 1000\")\n"
		 "    orders = db.sequence(\"orders\")   # a handle: the fast path\n"
		 "    orders.nextval()                 # one value\n"
		 "    orders.nextval_n(100)            # a batch, as a range\n"
		 "    db.nextval(\"orders\"); db.lastval(\"orders\"); db.setval(\"orders\", 5000)\n"
		 "    for row in db.execute(\"SELECT * FROM orders\"): ...\n\n"
		 "A shmseqd daemon serves the instance (see shmseqd(8), libshmseq(3)). Errors raise "
		 "shmseq.Error's subclasses with MariaDB's code, SQLSTATE and message.",
	.m_size = 0,
	.m_methods = mod_methods,
	.m_slots = mod_slots,
};

PyMODINIT_FUNC PyInit_shmseq(void)
{
	return PyModuleDef_Init(&shmseq_module);
}

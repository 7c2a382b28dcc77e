{{/* Names are fixed, as in deploy/: the RBAC, the Lease and the admission policy refer to them. */}}
{{- define "lbop.name" -}}contrail-lb-operator{{- end -}}

{{- define "lbop.labels" -}}
app.kubernetes.io/name: contrail-lb-operator
app.kubernetes.io/part-of: contrail-lb-operator
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "lbop.serviceAccountUser" -}}
system:serviceaccount:{{ .Release.Namespace }}:contrail-lb-operator
{{- end -}}

{{- define "lbop.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

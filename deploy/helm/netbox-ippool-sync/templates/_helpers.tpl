{{/* Chart name, truncated to 63 characters (a label value). */}}
{{- define "nbsync.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name of the release's objects: <release> or <release>-<chart>, at most 63 characters. */}}
{{- define "nbsync.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "nbsync.selectorLabels" -}}
app.kubernetes.io/name: {{ include "nbsync.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "nbsync.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "nbsync.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "nbsync.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "nbsync.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "nbsync.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The Role of deploy/rbac/role-metallb.yaml (a multi-document file), as YAML. */}}
{{- define "nbsync.metallbRole" -}}
{{- range regexSplit "(?m)^---\\s*$" (.Files.Get "files/rbac/role-metallb.yaml") -1 -}}
{{- $doc := fromYaml . -}}
{{- if eq (dig "kind" "" $doc) "Role" -}}{{- toYaml $doc -}}{{- end -}}
{{- end -}}
{{- end -}}

{{/* MetalLB's namespace: rbac.metallbNamespace, else config.kinds.metallb.namespace, else deploy/rbac's. */}}
{{- define "nbsync.metallbNamespace" -}}
{{- $role := include "nbsync.metallbRole" . | fromYaml -}}
{{- $fromConfig := dig "kinds" "metallb" "namespace" "" .Values.config -}}
{{- coalesce .Values.rbac.metallbNamespace $fromConfig (dig "metadata" "namespace" "" $role) -}}
{{- end -}}

{{/* Paths where the Secrets are mounted. */}}
{{- define "nbsync.tokenDir" -}}/var/run/secrets/netbox{{- end -}}
{{- define "nbsync.webhookDir" -}}/var/run/secrets/netbox-webhook{{- end -}}
